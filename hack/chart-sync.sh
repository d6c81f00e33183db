#!/usr/bin/env bash
# Copies into the Helm chart what config/ generates or owns, so the chart and
# dist/install.yaml never differ: the CRD, the manager's RBAC rules (generated from the
# +kubebuilder:rbac markers) and the alert rules. `make manifests` runs it; `make verify`
# fails when the copies are not committed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
chart="$root/charts/nacos-operator"
mkdir -p "$chart/crds" "$chart/files"
rm -f "$chart"/crds/*.yaml
cp "$root"/config/crd/bases/*.yaml "$chart/crds/"
header="# Copied from %s by hack/chart-sync.sh (make manifests); do not edit.\n"
{ printf "$header" config/rbac/role.yaml; sed -n '/^rules:/,$p' "$root/config/rbac/role.yaml"; } > "$chart/files/manager-rules.yaml"
{ printf "$header" config/prometheus/prometheus_rule.yaml; sed -n '/^spec:/,$p' "$root/config/prometheus/prometheus_rule.yaml"; } > "$chart/files/prometheus-rule-spec.yaml"
