#!/usr/bin/env bash
# Renders config/default with the operator image set, for `make build-installer` (written to
# dist/install.yaml) and `make deploy`. The image goes into the manager container and into
# OPERATOR_IMAGE, which the member pods' cluster.conf writer runs, so they never differ.
#   hack/installer.sh <kubectl> <image> > dist/install.yaml
set -euo pipefail
kubectl="$1" img="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -z "$img" || "$img" == *" "* ]]; then
  echo "installer: IMG must be an image reference, got '$img'" >&2
  exit 2
fi
if ! command -v "$kubectl" >/dev/null 2>&1; then
  echo "installer: $kubectl not found: run make control-plane (it builds bin/kubectl) or set KUBECTL" >&2
  exit 2
fi
# kustomize loads files only below the kustomization's directory, so the overlay lives in
# the repository (bin/ is ignored by git) and refers to config/default as a base.
overlay="$root/bin/installer"
mkdir -p "$overlay"
cat > "$overlay/kustomization.yaml" <<YAML
# Written by hack/installer.sh; do not edit.
resources:
- ../../config/default
patches:
- target: {kind: Deployment, labelSelector: control-plane=controller-manager}
  patch: |-
    - op: replace
      path: /spec/template/spec/containers/0/image
      value: "$img"
    - op: test
      path: /spec/template/spec/containers/0/env/0/name
      value: OPERATOR_IMAGE
    - op: replace
      path: /spec/template/spec/containers/0/env/0/value
      value: "$img"
YAML
echo "# nacos-operator: CRD, RBAC and the manager ($img). kubectl apply --server-side -f install.yaml"
"$kubectl" kustomize "$overlay"
