#!/usr/bin/env bash
# Makes sure MariaDB (a MySQL-compatible server from Debian's packages) is installed for the
# real lane's external-storage scenarios: mariadbd, mariadb-install-db and the mariadb client.
# The package's service is never started; the tests run their own server (test/harness/mariadb).
set -euo pipefail
log() { echo "mariadb: $*" >&2; }
have() { command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null; }
have && exit 0
[[ "$(id -u)" == 0 ]] || { log "MariaDB is missing and installing it needs root (apt-get install mariadb-server)"; exit 1; }
command -v apt-get >/dev/null || { log "MariaDB is missing and there is no apt-get to install it"; exit 1; }
log "installing mariadb-server from Debian's packages"
apt-get update -qq >/dev/null
# policy-rc.d in containers keeps the package from starting its own service; that is wanted.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mariadb-server >/dev/null 2>&1 || {
  log "apt-get install mariadb-server failed"; exit 1; }
have || { log "mariadb-server installed but mariadbd, mariadb-install-db or mariadb is still missing"; exit 1; }
