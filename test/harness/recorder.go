package harness

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"k8s.io/client-go/rest"

	"github.com/nacos-operator/nacos-operator/internal/nacos"
)

// Recorder watches the member pods of a namespace and checks the rollout invariants at the
// moment each restart happens, from the watch stream and the members themselves:
//   - at most one member unavailable (not Ready, terminating or missing) at any moment;
//   - each deletion only while every other member is UP in all peers' views with Distro
//     initialized (so the previously restarted member had rejoined).
//
// The simulated and the real lanes use it alike; Members says how to reach a member.
type Recorder struct {
	ns         string
	replicas   int
	members    MemberAccess
	mu         sync.Mutex
	deletions  []string // pod names in deletion order
	recoveries []string // pods deleted before their member ever started (start-up recovery)
	leaders    []string // the Raft leader (pod name) when each deletion happened
	violations []string
	blips      []string // moments two members were unready with none of them disrupted
	inBlip     bool
	fresh      map[string]bool // pods recreated while recording that have not been Ready yet
	// disruptedSince and unreadySince order a disruption and another member's unreadiness.
	disruptedSince, unreadySince map[string]time.Time
	history                      []string // every pod event, for failure messages
	cs                           kubernetes.Interface
	cancel                       context.CancelFunc
	done                         chan struct{}
}

// MemberAccess reaches the member of a pod: Dial is its HTTP address ("" when it is not
// running), Distro tells whether its Distro is initialized (an error when it cannot tell).
type MemberAccess struct {
	Major int        // the members' major version; 0 detects it per member (a cluster being upgraded runs both)
	Auth  nacos.Auth // how to read member lists when Nacos auth is on
	// AuthNow, when set, is asked instead of Auth at every read: an upgrade to 3.x brings an
	// identity (the operator's generated Secret) that did not exist when the recorder began.
	AuthNow func() nacos.Auth
	Dial    func(pod string) string
	Distro  func(ctx context.Context, pod string) (bool, error)
}

// StartRecorder watches the pods of ns until the test ends.
func StartRecorder(t testing.TB, cfg *rest.Config, ns string, replicas int, members MemberAccess) *Recorder {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pods := map[string]*corev1.Pod{}
	for i := range list.Items {
		pods[list.Items[i].Name] = &list.Items[i]
	}
	r := &Recorder{ns: ns, replicas: replicas, members: members, cancel: cancel, done: make(chan struct{}), fresh: map[string]bool{}, cs: cs,
		disruptedSince: map[string]time.Time{}, unreadySince: map[string]time.Time{}}
	go r.run(ctx, list.ResourceVersion, pods)
	t.Cleanup(r.Stop)
	return r
}

// Stop ends the watch (also done when the test ends).
func (r *Recorder) Stop() {
	r.cancel()
	<-r.done
}

// run follows the pods with a retrying watch. When the watch ends anyway (the API server
// restarted and its watch cache no longer holds our resource version: 410 Gone) it lists
// again: a pod whose UID changed in the gap was deleted unseen, which is recorded as such
// (its invariants could not be checked at that moment), and the watch resumes.
func (r *Recorder) run(ctx context.Context, rv string, pods map[string]*corev1.Pod) {
	defer close(r.done)
	deleting := map[string]bool{}
	for {
		w, err := watchtools.NewRetryWatcherWithContext(ctx, rv, &cache.ListWatch{
			WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				return r.cs.CoreV1().Pods(r.ns).Watch(ctx, o)
			},
		})
		if err == nil {
			r.follow(w, pods, deleting)
			w.Stop()
		}
		for ctx.Err() == nil {
			if rv, err = r.relist(ctx, pods, deleting); err == nil {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
		if ctx.Err() != nil {
			return
		}
	}
}

func (r *Recorder) relist(ctx context.Context, pods map[string]*corev1.Pod, deleting map[string]bool) (string, error) {
	list, err := r.cs.CoreV1().Pods(r.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("relist pods: %w", err)
	}
	now := map[string]*corev1.Pod{}
	for i := range list.Items {
		now[list.Items[i].Name] = &list.Items[i]
	}
	for name, old := range pods {
		if p, ok := now[name]; (!ok || p.UID != old.UID) && !deleting[string(old.UID)] {
			deleting[string(old.UID)] = true
			r.mu.Lock()
			r.deletions = append(r.deletions, name)
			r.leaders = append(r.leaders, "")
			r.history = append(r.history, fmt.Sprintf("%s %s deleted during a watch gap (uid=%s): not checked", time.Now().Format("15:04:05.000"), name, string(old.UID)[:8]))
			r.mu.Unlock()
		}
	}
	for k := range pods {
		delete(pods, k)
	}
	for k, v := range now {
		pods[k] = v
	}
	return list.ResourceVersion, nil
}

func (r *Recorder) follow(w watch.Interface, pods map[string]*corev1.Pod, deleting map[string]bool) {
	for ev := range w.ResultChan() {
		pod, ok := ev.Object.(*corev1.Pod)
		if !ok {
			continue
		}
		if ev.Type == watch.Deleted {
			delete(pods, pod.Name)
		} else {
			pods[pod.Name] = pod
		}
		r.mu.Lock()
		r.history = append(r.history, fmt.Sprintf("%s %s %s uid=%s rev=%s ready=%v deleting=%v", time.Now().Format("15:04:05.000"), ev.Type, pod.Name,
			string(pod.UID)[:8], pod.Labels["controller-revision-hash"], PodReady(pod), pod.DeletionTimestamp != nil))
		r.mu.Unlock()
		switch {
		case ev.Type == watch.Added:
			r.fresh[pod.Name] = !PodReady(pod)
		case PodReady(pod):
			delete(r.fresh, pod.Name)
		}
		r.track(pod, ev.Type == watch.Deleted)
		if pod.DeletionTimestamp != nil && !deleting[string(pod.UID)] {
			deleting[string(pod.UID)] = true
			if neverStarted(pod) {
				r.onRecovery(pod.Name)
			} else {
				r.onDeletion(pod.Name)
			}
		}
		r.checkAvailability(pods)
	}
}

func (r *Recorder) client(dial string) *nacos.Client {
	auth := r.members.Auth
	if r.members.AuthNow != nil {
		auth = r.members.AuthNow()
	}
	return nacos.New(dial, nacos.Options{Timeout: 2 * time.Second, Major: r.members.Major, Auth: auth}) // Major 0: each member's own, as in an upgrade
}

func (r *Recorder) violate(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.violations = append(r.violations, msg)
}

// HistoryText is every pod event seen, a line each.
func (r *Recorder) HistoryText() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.history, "\n")
}

// Result is the deletions in order and the violations seen.
func (r *Recorder) Result() (deletions, violations []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.deletions...), append([]string(nil), r.violations...)
}

// Blips lists the moments two or more members were unready while none was disrupted.
func (r *Recorder) Blips() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.blips...)
}

// LeaderRestarts lists deletions of the member that led Raft at that moment.
func (r *Recorder) LeaderRestarts() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for i, d := range r.deletions {
		if d == r.leaders[i] {
			out = append(out, i)
		}
	}
	return out
}

// PodReady reports the pod Ready condition.
func PodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
