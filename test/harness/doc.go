// Package harness runs a real Kubernetes control plane for tests: etcd and kube-apiserver
// through controller-runtime's envtest, plus kube-controller-manager (StatefulSet and
// garbage-collector controllers) as its own process. Only the kubelet is missing; tests
// stand in for it. The binaries come from hack/control-plane.sh, which builds them from the
// Go module proxy and caches them under ~/.cache; `make test` exports KUBEBUILDER_ASSETS.
package harness
