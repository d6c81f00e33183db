#!/usr/bin/env bash
# Makes sure the tools the real-Nacos member runner uses are installed: ip (network
# namespaces, veth, bridge), unshare/mount (UTS and mount namespaces) and iptables (the
# port-drop fault). Installs missing ones from Debian's packages. Needs root.
set -euo pipefail
log() { echo "netns-tools: $*" >&2; }
[[ "$(id -u)" == 0 ]] || { log "the real-Nacos runner needs root (network and UTS namespaces)"; exit 1; }
declare -A pkg=([ip]=iproute2 [unshare]=util-linux [mount]=mount [iptables]=iptables)
missing=()
for tool in "${!pkg[@]}"; do
  command -v "$tool" >/dev/null || missing+=("${pkg[$tool]}")
done
if ((${#missing[@]} > 0)); then
  command -v apt-get >/dev/null || { log "missing ${missing[*]} and no apt-get to install them"; exit 1; }
  log "installing ${missing[*]} from Debian's packages"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for tool in "${!pkg[@]}"; do
  command -v "$tool" >/dev/null || { log "$tool is still missing"; exit 1; }
done
