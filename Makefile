# nacos-operator Makefile. Every tool is pinned here and installed into ./bin by `go install`
# (only the Go module proxy is needed); the Kubernetes control plane used by the tests is
# built from source by hack/control-plane.sh and cached under ~/.cache, keyed by version.

IMG ?= nacos-operator:latest

CONTROLLER_TOOLS_VERSION ?= v0.23.0
GOLANGCI_LINT_VERSION ?= v2.15.0
# The control plane matches the k8s.io/* v0.37.x modules in go.mod.
K8S_VERSION ?= 1.37.2

LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
# kubectl from the cached control plane unless one is given; it also renders kustomize.
KUBECTL ?= $(shell command -v kubectl 2>/dev/null || echo $(CURDIR)/bin/kubectl)

GOTEST_FLAGS ?= -count=1
FUZZTIME ?= 30s
# Real Nacos servers built from source by hack/nacos-server.sh (make nacos-server, make test-nacos).
NACOS_VERSIONS ?= 2.5.1 3.0.3
export GOWORK = off

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  %-16s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate the CRD and RBAC manifests under config/.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./..." output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac

.PHONY: generate
generate: controller-gen ## Generate deepcopy code for the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -s -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: lint
lint: golangci-lint ## Run golangci-lint (config in .golangci.yml).
	$(GOLANGCI_LINT) run ./...

.PHONY: verify
verify: generate manifests fmt vet ## Check that generated files and formatting are committed and current.
	@git diff --exit-code -- api config || { echo "generated files are stale: run 'make generate manifests' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- api config)" || { git status --porcelain -- api config; echo "untracked generated files: commit them"; exit 1; }
	@test -z "$$(gofmt -s -l $$(git ls-files '*.go'))" || { gofmt -s -l $$(git ls-files '*.go'); echo "gofmt: run 'make fmt'"; exit 1; }

.PHONY: test
test: manifests generate control-plane ## Unit and integration tests (real etcd, kube-apiserver, kube-controller-manager).
	KUBEBUILDER_ASSETS="$$(hack/control-plane.sh)" go test $(GOTEST_FLAGS) ./...


.PHONY: test-nacos
test-nacos: test-nacos-fidelity test-nacos-operator ## The real-Nacos lane (root): the simulator held to real members, then the operator on real members.

.PHONY: test-nacos-fidelity
test-nacos-fidelity: nacos-server netns-tools ## Real members in network namespaces, every answer held against the simulator's.
	NACOS_REAL=1 NACOS_VERSIONS="$(NACOS_VERSIONS)" go test $(GOTEST_FLAGS) -timeout 40m -v -run '^TestRealServer$$' ./test/fidelity/

# REAL_RUN narrows the operator-on-real-members scenarios (a go test -run pattern).
REAL_RUN ?= .

.PHONY: test-nacos-operator
test-nacos-operator: nacos-server netns-tools control-plane ## The operator on real members: create, rollouts, scaling, the seed's case, slow start, 3.0.3 (docs/real-nacos.md).
	NACOS_REAL=1 KUBEBUILDER_ASSETS="$$(hack/control-plane.sh)" go test $(GOTEST_FLAGS) -timeout 45m -v -run '$(REAL_RUN)' ./test/realcluster/

# E2E_SEED replays one seeded run of the operator-killed scenario (see docs/e2e.md).
.PHONY: test-e2e
test-e2e: manifests generate control-plane ## The operator binary against the sandbox: SIGKILLs, leader failover, API server restart, pause, PVC retention, tenancy, `make sandbox` itself.
	NACOS_E2E=1 KUBEBUILDER_ASSETS="$$(hack/control-plane.sh)" go test $(GOTEST_FLAGS) -timeout 25m -parallel 4 -v ./test/e2e/

.PHONY: control-plane
control-plane: ## Build (once, cached under ~/.cache) etcd, kube-apiserver, kube-controller-manager and kubectl.
	@K8S_VERSION=$(K8S_VERSION) hack/control-plane.sh >/dev/null
	@mkdir -p $(LOCALBIN) && ln -sf "$$(K8S_VERSION=$(K8S_VERSION) hack/control-plane.sh)/kubectl" $(LOCALBIN)/kubectl

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each (default 30s); `make test` runs their seeds.
	@for pkg in $$(go list ./internal/...); do \
	  for f in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; go test -run=^$$ -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

.PHONY: bench
bench: control-plane ## Run benchmarks: rollout overhead per member; the operator binary's cost idle with 1, 10, 100 clusters, among 10,000 unrelated objects, apply-to-Ready (docs/benchmarks.md).
	KUBEBUILDER_ASSETS="$$(hack/control-plane.sh)" go test -run=^$$ -bench=. -benchtime=2x -timeout 60m ./...

##@ Build

.PHONY: build
build: generate ## Build the manager binary into bin/manager.
	go build -o $(LOCALBIN)/manager .

.PHONY: nacos-server
nacos-server: ## Build real Nacos servers (NACOS_VERSIONS) from source, laid out like the image; see docs/real-nacos.md.
	NACOS_VERSIONS="$(NACOS_VERSIONS)" hack/nacos-server.sh >/dev/null

.PHONY: netns-tools
netns-tools: ## Install what the real-member runner needs (iproute2, util-linux, iptables); needs root.
	hack/netns-tools.sh

# DEMO_OUT=docs/demo.md renews the demo's page with the run's output.
DEMO_OUT ?=

.PHONY: demo
demo: manifests build control-plane ## The scripted story on a fresh sandbox: create, a gated image rollout, a stuck member and its diagnosis, scale 3 -> 5 -> 3 (docs/demo.md).
	go build -o $(LOCALBIN)/sandbox ./test/sandbox/cmd/sandbox
	KUBEBUILDER_ASSETS="$$(hack/control-plane.sh)" $(LOCALBIN)/sandbox demo --operator $(LOCALBIN)/manager $(if $(DEMO_OUT),--markdown $(DEMO_OUT))

.PHONY: sandbox
sandbox: manifests build control-plane $(if $(filter real,$(NACOS)),nacos-server netns-tools) ## Run the operator binary on a local control plane with simulated members (NACOS=real: real JVMs, root) and config/samples' cluster; Ctrl-C stops it all.
	go build -o $(LOCALBIN)/sandbox ./test/sandbox/cmd/sandbox
	KUBEBUILDER_ASSETS="$$(hack/control-plane.sh)" $(LOCALBIN)/sandbox up --operator $(LOCALBIN)/manager

.PHONY: sim
sim: ## Build the Nacos member simulator into bin/nacos-sim.
	go build -o $(LOCALBIN)/nacos-sim ./internal/nacos/sim/cmd/nacos-sim

.PHONY: run
run: manifests generate ## Run the operator from your host against the current kubeconfig.
	go run . --health-probe-bind-address=:8081 --metrics-bind-address=0

##@ Deployment (current kubeconfig)

.PHONY: install
install: manifests ## Install the CRD.
	$(KUBECTL) kustomize config/crd | $(KUBECTL) apply --server-side -f -

.PHONY: uninstall
uninstall: manifests ## Uninstall the CRD (deletes every NacosCluster!).
	$(KUBECTL) kustomize config/crd | $(KUBECTL) delete --ignore-not-found -f -

.PHONY: deploy
deploy: manifests ## Deploy the operator (image $(IMG)) into nacos-operator-system.
	$(KUBECTL) kustomize config/default | sed 's|image: controller:latest|image: $(IMG)|' | $(KUBECTL) apply --server-side -f -

.PHONY: undeploy
undeploy: ## Remove the operator and its CRD.
	$(KUBECTL) kustomize config/default | $(KUBECTL) delete --ignore-not-found -f -

##@ Tools

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN)
$(CONTROLLER_GEN):
	@mkdir -p $(LOCALBIN)
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(LOCALBIN)/controller-gen $(CONTROLLER_GEN)

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT)
$(GOLANGCI_LINT):
	@mkdir -p $(LOCALBIN)
	GOBIN=$(LOCALBIN) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv $(LOCALBIN)/golangci-lint $(GOLANGCI_LINT)
