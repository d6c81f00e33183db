#!/usr/bin/env bash
# Lays out a runnable Nacos server (bin, conf, data, logs, lib) from Maven Central, cached
# under ~/.cache/nacos-operator/nacos/<version>. Only published artifacts are used.
#
# Usage: hack/nacos-server.sh [version]      (default 2.5.1; prints the tree's path)
#
# Exit 3 with the list of coordinates that did not resolve when the registry lacks them
# (the case on our CI machines as of 2026-11: see docs/real-nacos.md).
set -euo pipefail

VERSION="${1:-${NACOS_VERSION:-2.5.1}}"
CACHE_ROOT="${NACOS_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nacos-operator}"
TREE="$CACHE_ROOT/nacos/$VERSION"
HERE="$(cd "$(dirname "$0")" && pwd)"

if [[ -f "$TREE/.complete" ]]; then
  echo "$TREE"
  exit 0
fi

case "$VERSION" in
  2.*) MODULES=(nacos-console) ;;             # com.alibaba.nacos.Nacos lives in the console module
  3.*) MODULES=(nacos-server nacos-console) ;;
  *) echo "nacos-server: unsupported version $VERSION" >&2; exit 2 ;;
esac

missing=()
mkdir -p "$TREE.partial/lib"
for module in "${MODULES[@]}"; do
  if ! mvn -q -B -f "$HERE/nacos/pom.xml" -Dnacos.version="$VERSION" -Dnacos.module="$module" \
      dependency:copy-dependencies -DoutputDirectory="$TREE.partial/lib" -DincludeScope=runtime >"$TREE.partial/mvn-$module.log" 2>&1; then
    missing+=("com.alibaba.nacos:$module:$VERSION")
  fi
done
if ((${#missing[@]} > 0)); then
  echo "nacos-server: these artifacts do not resolve from the Maven registry here:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "  (Maven output: $TREE.partial/mvn-*.log)" >&2
  exit 3
fi

mkdir -p "$TREE.partial"/{bin,conf,data,logs}
cp "$HERE/nacos/application.properties" "$TREE.partial/conf/application.properties"
touch "$TREE.partial/conf/cluster.conf"
rm -rf "$TREE" && mv "$TREE.partial" "$TREE" && touch "$TREE/.complete"
echo "$TREE"
