package harness

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/confwriter"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// Kubelet stands in for the kubelet of every node, for Nacos member pods only. Each pass it:
//  1. gives a new pod a loopback IP, lays out its volumes (the ConfigMap projected with a
//     ..data symlink swap, the conf emptyDir seeded like the prepare-conf init container),
//     starts the cluster.conf writer sidecar (in process) and the member through the Runner;
//  2. reprojects a changed ConfigMap (after ProjectionDelay), as the kubelet does;
//  3. probes the readiness URL of the pod spec and writes the pod status;
//  4. stops the member of a deleted pod and removes the pod.
type Kubelet struct {
	Client          client.Client
	Runner          Runner
	Root            string        // per-pod directories live here
	IPPrefix        string        // pods get <IPPrefix><n>, e.g. "127.77."
	ClusterDomain   string        // default cluster.local
	ProjectionDelay time.Duration // delay before a ConfigMap change reaches pods
	Period          time.Duration // pass period, default 50ms
	// MaxGrace caps how long a deleted pod's member keeps running (its grace period) before
	// it is stopped and the pod removed; 0 stops it at once.
	MaxGrace time.Duration
	// EnforceProbes runs the startup, liveness and readiness probes of the pod spec at their
	// periods and restarts a member whose startup or liveness probe fails (kubelet_probe.go);
	// ProbeScale multiplies their periods and timeouts (1 when zero). Off, the kubelet reads
	// readiness every pass and never restarts a member.
	EnforceProbes bool
	// ProbesIn enforces the probes only for pods of the namespaces it accepts (with
	// EnforceProbes off), so one kubelet serves tests with and without them.
	ProbesIn   func(namespace string) bool
	ProbeScale float64

	mu    sync.Mutex
	pods  map[string]*podState // by namespace/name
	dns   map[string]string    // member address -> dial address
	next  int
	homes map[string]string // by namespace/name: persists across pod incarnations, like a PVC
	// hidden: names a pod cannot resolve (HideName), by namespace/pod, then peer pod name.
	hidden map[string]map[string]bool
	done   chan struct{} // closed when the kubelet has stopped every member
}

type podState struct {
	uid       string
	ip        string
	stopWrite context.CancelFunc
	stopProbe context.CancelFunc
	cmDir     string
	projected map[string]string
	pending   time.Time // when a seen ConfigMap change may be projected
	version   int
	deleting  time.Time // when the deletion was first seen

	mu      sync.Mutex // the prober goroutine restarts the member and sets probes
	member  Running
	ready   bool       // as last written to the pod status
	probes  probeState // with enforce
	enforce bool       // EnforceProbes or ProbesIn for this pod
	crash   string     // why the member failed to start (reported as CrashLoopBackOff)
	run     PodRun     // how the member was started, to start it again
}

func (s *podState) running() Running {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.member
}

// NodeName is the node the fake kubelet registers and binds member pods to (the
// EndpointSlice controller skips pods without a known node).
const NodeName = "nacos-sim-node"

// Start runs the kubelet until ctx ends.
func (k *Kubelet) Start(ctx context.Context) {
	k.pods, k.dns, k.homes = map[string]*podState{}, map[string]string{}, map[string]string{}
	k.done = make(chan struct{})
	node := &corev1.Node{}
	node.Name = NodeName
	if err := k.Client.Create(ctx, node); err != nil {
		k.logf(ctx, "register node: %v", err)
	}
	if k.Period == 0 {
		k.Period = 50 * time.Millisecond
	}
	if k.ClusterDomain == "" {
		k.ClusterDomain = "cluster.local"
	}
	go func() {
		t := time.NewTicker(k.Period)
		defer t.Stop()
		for {
			k.pass(ctx)
			select {
			case <-ctx.Done():
				k.stopAll()
				close(k.done)
				return
			case <-t.C:
			}
		}
	}()
}

// Wait blocks until the kubelet, its context ended, has stopped every member.
func (k *Kubelet) Wait() { <-k.done }

// Member returns the running member of a pod (a *sim.Member with the SimRunner).
func (k *Kubelet) Member(namespace, name string) Running {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s := k.pods[namespace+"/"+name]; s != nil {
		return s.running()
	}
	return nil
}

// StopWriter stops the cluster.conf writer sidecar of a pod, so a test can leave a stale or
// wrong file in place.
func (k *Kubelet) StopWriter(namespace, name string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s := k.pods[namespace+"/"+name]; s != nil && s.stopWrite != nil {
		s.stopWrite()
	}
}

// Resolve maps a member address to the IP it is served on (the cluster DNS).
func (k *Kubelet) Resolve(address string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if ip, ok := k.dns[address]; ok {
		return ip
	}
	return address
}

func (k *Kubelet) pass(ctx context.Context) {
	pods := &corev1.PodList{}
	if err := k.Client.List(ctx, pods, client.MatchingLabels{nacosv1alpha1.LabelName: nacosv1alpha1.LabelNameValue}); err != nil {
		return
	}
	seen := map[string]bool{}
	for i := range pods.Items {
		pod := &pods.Items[i]
		key := pod.Namespace + "/" + pod.Name
		seen[key] = true
		k.syncPod(ctx, key, pod)
	}
	k.mu.Lock()
	var gone []*podState
	for key, s := range k.pods {
		if !seen[key] {
			gone = append(gone, s)
			delete(k.pods, key)
		}
	}
	k.mu.Unlock()
	for _, s := range gone {
		s.stop()
	}
}

func (k *Kubelet) syncPod(ctx context.Context, key string, pod *corev1.Pod) {
	k.mu.Lock()
	s := k.pods[key]
	k.mu.Unlock()
	switch {
	case pod.DeletionTimestamp != nil:
		if s != nil && k.withinGrace(s, pod) {
			return
		}
		if s != nil {
			s.stop()
			k.mu.Lock()
			delete(k.pods, key)
			k.mu.Unlock()
		}
		// The UID precondition matters: the StatefulSet controller recreates the pod under the
		// same name at once, and this list may be older than that.
		uid := pod.UID
		_ = k.Client.Delete(ctx, pod, client.GracePeriodSeconds(0), client.Preconditions{UID: &uid})
	case s == nil || s.uid != string(pod.UID):
		if s != nil {
			s.stop()
		}
		if err := k.startPod(ctx, key, pod); err != nil {
			k.logf(ctx, "start %s: %v", key, err)
		}
	default:
		k.refreshProjection(ctx, s, pod)
		k.probe(ctx, s, pod)
	}
}

// withinGrace keeps a deleted pod's member running for its grace period, capped by MaxGrace.
func (k *Kubelet) withinGrace(s *podState, pod *corev1.Pod) bool {
	if s.deleting.IsZero() {
		s.deleting = time.Now()
	}
	grace := k.MaxGrace
	if g := pod.DeletionGracePeriodSeconds; g != nil && time.Duration(*g)*time.Second < grace {
		grace = time.Duration(*g) * time.Second
	}
	return time.Since(s.deleting) < grace
}

func (s *podState) stop() {
	if s.stopProbe != nil {
		s.stopProbe()
	}
	if s.stopWrite != nil {
		s.stopWrite()
	}
	if m := s.running(); m != nil {
		m.Stop()
	}
}

// logf reports a problem unless the test has ended.
func (k *Kubelet) logf(ctx context.Context, format string, args ...any) {
	if ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "fake kubelet: "+format+"\n", args...)
	}
}

// stopAll stops every member outside the lock: a stopping member waits for its own
// goroutines, which may be resolving a peer through the kubelet.
func (k *Kubelet) stopAll() {
	k.mu.Lock()
	pods := k.pods
	k.pods = map[string]*podState{}
	k.mu.Unlock()
	for _, s := range pods {
		s.stop()
	}
}

// probe reads the readiness URL of the pod spec and writes the pod status when it changes.
func (k *Kubelet) probe(ctx context.Context, s *podState, pod *corev1.Pod) {
	ready := false
	if s.enforce {
		s.mu.Lock()
		ready = s.probes.ready && s.member != nil
		s.mu.Unlock()
	} else if p := nacosContainer(pod).ReadinessProbe; s.running() != nil && p != nil && p.HTTPGet != nil {
		url := fmt.Sprintf("http://%s:%d%s", s.ip, p.HTTPGet.Port.IntValue(), p.HTTPGet.Path)
		c := http.Client{Timeout: 300 * time.Millisecond}
		if resp, err := c.Get(url); err == nil {
			ready = resp.StatusCode >= 200 && resp.StatusCode < 400
			_ = resp.Body.Close()
		}
	}
	podReady := false
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			podReady = true
		}
	}
	restarts, _ := s.restartCount()
	if ready != podReady || pod.Status.PodIP != s.ip || restarts != containerRestarts(pod) || k.started(s) != containerStarted(pod) {
		s.ready = ready
		_ = k.writeStatus(ctx, pod, s)
	}
}

func containerStarted(pod *corev1.Pod) bool {
	for _, c := range pod.Status.ContainerStatuses {
		if c.Name == resource.ContainerNacos {
			return c.Started != nil && *c.Started
		}
	}
	return false
}

func containerRestarts(pod *corev1.Pod) int32 {
	for _, c := range pod.Status.ContainerStatuses {
		if c.Name == resource.ContainerNacos {
			return c.RestartCount
		}
	}
	return 0
}

func nacosContainer(pod *corev1.Pod) corev1.Container {
	for _, c := range pod.Spec.Containers {
		if c.Name == resource.ContainerNacos {
			return c
		}
	}
	return corev1.Container{}
}

func (k *Kubelet) allocateIP() string {
	if a, ok := k.Runner.(IPAllocator); ok {
		return a.AllocateIP()
	}
	k.next++
	return PodIP(k.IPPrefix, k.next)
}

// startWriter runs the cluster.conf writer sidecar of the pod.
func startWriter(s *podState, home string) {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopWrite = cancel
	go confwriter.Run(ctx, filepath.Join(s.cmDir, resource.ClusterConfKey), filepath.Join(home, "conf", resource.ClusterConfKey),
		50*time.Millisecond, clock.RealClock{}, func(bool, error) {})
}
