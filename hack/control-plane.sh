#!/usr/bin/env bash
# Builds the real Kubernetes control plane used by the tests (etcd, kube-apiserver,
# kube-controller-manager, kubectl) from the Go module proxy. No release download site is
# reachable from CI, so we compile from source; the result is cached under ~/.cache keyed
# by version so a fresh clone (and every later run) reuses it.
#
# Usage: hack/control-plane.sh            build if missing, print the assets directory
#        K8S_VERSION=1.37.2 hack/control-plane.sh
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.2}"
CACHE_ROOT="${NACOS_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nacos-operator}"
ASSETS="$CACHE_ROOT/k8s/$K8S_VERSION"
BINARIES=(etcd kube-apiserver kube-controller-manager kubectl)

complete() {
  for b in "${BINARIES[@]}"; do [[ -x "$ASSETS/$b" ]] || return 1; done
}

if complete; then
  echo "$ASSETS"
  exit 0
fi

log() { echo "control-plane: $*" >&2; }
staging_version="v0.${K8S_VERSION#1.}"
work="$(mktemp -d "${TMPDIR:-/tmp}/nacos-operator-k8s-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$ASSETS"
export GOFLAGS="-mod=mod" CGO_ENABLED=0 GOWORK=off

log "building Kubernetes v$K8S_VERSION control plane into $ASSETS (first run takes 10-15 minutes on 2 cores)"

# k8s.io/kubernetes replaces its staging modules with local paths, which a module consumer
# cannot use: point each at the published staging release of the same minor instead.
kmod="$(cd "$work" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
staging="$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$kmod")"
etcd_version="$(sed -n 's#^[[:space:]]*go.etcd.io/etcd/server/v3 \(v[0-9.]*\).*#\1#p' "$kmod" | head -1)"

mkdir -p "$work/k8s" "$work/etcd"
{
  echo "module nacos-operator/k8s-build"
  echo "go 1.26"
  echo "require k8s.io/kubernetes v$K8S_VERSION"
  for m in $staging; do echo "replace $m => $m $staging_version"; done
} > "$work/k8s/go.mod"
cat > "$work/k8s/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
(
  cd "$work/k8s"
  go mod tidy -e >/dev/null 2>&1 || true
  go mod download
  minor="$(echo "$K8S_VERSION" | cut -d. -f2)"
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  for b in kube-apiserver kube-controller-manager kubectl; do
    log "go build $b"
    go build -trimpath -ldflags "$ldflags" -o "$ASSETS/$b.tmp" "k8s.io/kubernetes/cmd/$b"
    mv "$ASSETS/$b.tmp" "$ASSETS/$b"
  done
)

# etcd: the server module's main package, at the version Kubernetes itself requires.
{
  echo "module nacos-operator/etcd-build"
  echo "go 1.26"
  echo "require go.etcd.io/etcd/server/v3 $etcd_version"
} > "$work/etcd/go.mod"
cat > "$work/etcd/tools.go" <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
(
  cd "$work/etcd"
  go mod tidy -e >/dev/null 2>&1 || true
  log "go build etcd $etcd_version"
  go build -trimpath -ldflags "-s -w" -o "$ASSETS/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$ASSETS/etcd.tmp" "$ASSETS/etcd"
)

complete || { log "build incomplete in $ASSETS"; exit 1; }
log "done"
echo "$ASSETS"
