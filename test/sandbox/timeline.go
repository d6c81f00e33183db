package sandbox

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// KubectlOutput runs the control plane's kubectl with the sandbox's kubeconfig and returns
// what it printed (stdout and stderr), also on an error.
func (s *Sandbox) KubectlOutput(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(s.Env.Assets, "kubectl"), append([]string{"--kubeconfig=" + s.Kubeconfig}, args...)...)
	cmd.Dir = harness.RepoRoot()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %v: %w\n%s", args, err, out)
	}
	return string(out), nil
}

// entry is one change the follower saw.
type entry struct {
	at          time.Duration
	pod         string // set for pod changes
	replaced    bool   // a pod of that name with a new UID
	ready       bool   // the pod turned ready
	unavailable int    // members without a ready pod at that moment
	text        string
}

// follower polls the cluster and its pods and keeps every change, with the time since it
// started: the demo's timelines, and the evidence its checks read.
type follower struct {
	st       *story
	start    time.Time
	cancel   context.CancelFunc
	stopping chan struct{}
	done     chan struct{}
	known    map[string]types.UID // the last UID seen per pod name, across deletions
	mu       sync.Mutex
	entries  []entry
}

func (st *story) follow(ctx context.Context) *follower {
	ctx, cancel := context.WithCancel(ctx)
	f := &follower{st: st, start: time.Now(), cancel: cancel, stopping: make(chan struct{}), done: make(chan struct{}), known: map[string]types.UID{}}
	st.since = f.start // the story's waits count from the same moment as the timeline
	go f.run(ctx)
	return f
}

func (f *follower) run(ctx context.Context) {
	defer close(f.done)
	pods, summary := map[string]podState{}, ""
	first, last := true, false
	replicas := int32(0)
	for {
		if nc, err := f.st.get(ctx); err == nil {
			replicas = nc.Spec.Replicas
			if s := summarize(nc); s != summary {
				summary = s
				f.add(entry{text: s})
			}
		}
		if now, err := f.st.podStates(ctx); err == nil {
			f.diff(pods, now, first, replicas)
			pods, first = now, false
		}
		if last {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-f.stopping:
			last = true // one more look, so the timeline ends with the state the wait saw
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type podState struct {
	uid   types.UID
	ready bool
}

func (f *follower) diff(before, now map[string]podState, first bool, replicas int32) {
	unavailable := 0
	for _, p := range now {
		if !p.ready {
			unavailable++
		}
	}
	for _, name := range sortedNames(before, now) {
		b, had := before[name]
		n, has := now[name]
		e := entry{pod: name, unavailable: unavailable + f.st.missing(now, replicas)}
		last, seen := f.known[name]
		if has {
			f.known[name] = n.uid
		}
		switch {
		case first:
			continue
		case had && !has:
			e.text = name + ": pod deleted"
		case has && (!had || b.uid != n.uid):
			e.replaced, e.text = seen && last != n.uid, name+": new pod"
			if n.ready {
				e.ready, e.text = true, e.text+", ready"
			}
		case b.ready != n.ready:
			e.ready, e.text = n.ready, name+": "+map[bool]string{true: "ready", false: "not ready"}[n.ready]
		default:
			continue
		}
		f.add(e)
	}
}

func (f *follower) add(e entry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e.at = time.Since(f.start)
	f.entries = append(f.entries, e)
}

// stop ends the polling and returns what it saw.
func (f *follower) stop() []entry {
	close(f.stopping)
	<-f.done
	f.cancel()
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]entry(nil), f.entries...)
}

// summarize is the line of cluster status the timeline prints when it changes.
func summarize(nc *nacosv1alpha1.NacosCluster) string {
	phase := string(nc.Status.Phase)
	if phase == "" {
		phase = "-"
	}
	s := fmt.Sprintf("phase %s, %d wanted, %d ready, distro %s", phase, nc.Spec.Replicas, nc.Status.ReadyReplicas, nc.Status.Distro)
	for _, c := range nc.Status.Conditions {
		if c.Type == nacosv1alpha1.ConditionProgressing && c.Status == "True" {
			s += ", Progressing " + c.Reason
		}
	}
	if b := blocked(nc); b != "" {
		s += ", waiting: " + b
	}
	return s
}

// timeline prints entries as a block.
func (st *story) timeline(entries []entry) {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%6.1fs  %s\n", e.at.Seconds(), e.text)
	}
	st.printf("\n```text\n%s```\n", b.String())
}

// podStates are the cluster's pods by name.
func (st *story) podStates(ctx context.Context) (map[string]podState, error) {
	list := &corev1.PodList{}
	if err := st.s.Env.Client.List(ctx, list, client.InNamespace(st.ns), client.MatchingLabels(st.selector())); err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	out := map[string]podState{}
	for _, p := range list.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		out[p.Name] = podState{uid: p.UID, ready: podReady(&p)}
	}
	return out, nil
}

func (st *story) selector() map[string]string {
	return resource.SelectorLabels(&nacosv1alpha1.NacosCluster{ObjectMeta: metav1.ObjectMeta{Name: st.name}})
}

func (st *story) pods(ctx context.Context) (map[string]types.UID, error) {
	states, err := st.podStates(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]types.UID{}
	for n, p := range states {
		out[n] = p.uid
	}
	return out, nil
}

// missing counts desired members (ordinals below replicas) that have no pod at all.
func (st *story) missing(now map[string]podState, replicas int32) int {
	n := 0
	for i := 0; i < int(replicas); i++ {
		if _, ok := now[fmt.Sprintf("%s-%d", st.name, i)]; !ok {
			n++
		}
	}
	return n
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func sortedNames(a, b map[string]podState) []string {
	seen := map[string]bool{}
	for n := range a {
		seen[n] = true
	}
	for n := range b {
		seen[n] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
