package controllers

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/rollout"
)

// fixture is a reconciler on the fake client that counts status writes.
type fixture struct {
	r            *NacosClusterReconciler
	recorder     *events.FakeRecorder
	statusWrites int
}

func newFixture(t *testing.T, objs ...client.Object) *fixture {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := nacosv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	f := &fixture{recorder: events.NewFakeRecorder(10)}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).
		WithStatusSubresource(&nacosv1alpha1.NacosCluster{}).
		WithInterceptorFuncs(interceptor.Funcs{
			SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, p client.Patch, o ...client.SubResourcePatchOption) error {
				f.statusWrites++
				return c.SubResource(sub).Patch(ctx, obj, p, o...)
			},
		}).Build()
	f.r = &NacosClusterReconciler{Client: c, Scheme: scheme, Recorder: f.recorder,
		Clock: clocktesting.NewFakePassiveClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
	return f
}

func (f *fixture) reconcile(t *testing.T, name string) *nacosv1alpha1.NacosCluster {
	t.Helper()
	key := types.NamespacedName{Namespace: "ns", Name: name}
	if _, err := f.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key}); err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	nc := &nacosv1alpha1.NacosCluster{}
	if err := f.r.Get(context.Background(), key, nc); err != nil {
		t.Fatal(err)
	}
	return nc
}

func cluster(name string, generation int64, mutate ...func(*nacosv1alpha1.NacosCluster)) *nacosv1alpha1.NacosCluster {
	nc := &nacosv1alpha1.NacosCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, Generation: generation}}
	nc.Spec.Mode, nc.Spec.Replicas, nc.Spec.Version = nacosv1alpha1.ModeCluster, 3, "2.5.1"
	for _, m := range mutate {
		m(nc)
	}
	return nc
}

func TestReconcileAcceptsSpecAndSkipsNoOpWrites(t *testing.T) {
	f := newFixture(t, cluster("a", 4))
	nc := f.reconcile(t, "a")
	if nc.Status.ObservedGeneration != 4 || nc.Status.Phase != nacosv1alpha1.PhasePending {
		t.Fatalf("status = gen %d phase %q, want gen 4 phase Pending", nc.Status.ObservedGeneration, nc.Status.Phase)
	}
	c := meta.FindStatusCondition(nc.Status.Conditions, nacosv1alpha1.ConditionReconciled)
	if c == nil || c.Status != metav1.ConditionTrue || c.Reason != nacosv1alpha1.ReasonReconcileSucceeded || c.ObservedGeneration != 4 {
		t.Fatalf("Reconciled condition = %+v", c)
	}
	if !c.LastTransitionTime.Time.Equal(f.r.Clock.Now()) {
		t.Errorf("transition time %v does not come from the injected clock %v", c.LastTransitionTime, f.r.Clock.Now())
	}
	// The second pass sees the StatefulSet the first one created; after that, nothing changes.
	f.reconcile(t, "a")
	settled := f.statusWrites
	for i := 0; i < 3; i++ {
		f.reconcile(t, "a")
	}
	if f.statusWrites != settled || settled > 2 {
		t.Errorf("status written %d times while settling and %d more over 3 identical passes, want at most 2 and 0", settled, f.statusWrites-settled)
	}
}

func TestReconcileRefusesManagedEnvOnce(t *testing.T) {
	f := newFixture(t, cluster("b", 2, func(nc *nacosv1alpha1.NacosCluster) {
		nc.Spec.Pod.Env = []corev1.EnvVar{{Name: "NACOS_SERVERS", Value: "x"}}
	}))
	nc := f.reconcile(t, "b")
	c := meta.FindStatusCondition(nc.Status.Conditions, nacosv1alpha1.ConditionReconciled)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != nacosv1alpha1.ReasonInvalidSpec {
		t.Fatalf("Reconciled condition = %+v, want False/InvalidSpec", c)
	}
	wantMsg := "The spec cannot be applied: spec.pod.env[0].name: Forbidden: NACOS_SERVERS is set by the operator from spec.replicas"
	if !strings.HasPrefix(c.Message, wantMsg) {
		t.Errorf("message = %q, want prefix %q", c.Message, wantMsg)
	}
	if nc.Status.Phase != nacosv1alpha1.PhaseFailed {
		t.Errorf("phase = %q, want Failed", nc.Status.Phase)
	}
	f.reconcile(t, "b")
	if got := len(f.recorder.Events); got != 1 {
		t.Fatalf("%d events after two passes over the same bad spec, want 1", got)
	}
	if e := <-f.recorder.Events; !strings.HasPrefix(e, "Warning InvalidSpec "+wantMsg) {
		t.Errorf("event = %q", e)
	}
}

func TestReconcileMissingObjectIsNotAnError(t *testing.T) {
	f := newFixture(t)
	_, err := f.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "gone"}})
	if err != nil || f.statusWrites != 0 {
		t.Fatalf("err = %v, writes = %d; want nil and 0", err, f.statusWrites)
	}
}

func TestEventNotesFitTheAPIServerLimit(t *testing.T) {
	long := strings.Repeat("nacos-1: Distro snapshot load failed, ", 60) + "ü"
	got := limitNote(long)
	if len(got) > maxEventNote || !utf8.ValidString(got) || !strings.HasSuffix(got, "(see kubectl describe nacos)") {
		t.Fatalf("limitNote: %d bytes, valid UTF-8 %v, ends %q", len(got), utf8.ValidString(got), got[len(got)-40:])
	}
	if short := "nacos-1 healed"; limitNote(short) != short {
		t.Fatalf("a short note changed: %q", limitNote(short))
	}
	// A cut inside a multi-byte rune backs up to its start.
	edge := strings.Repeat("a", maxEventNote-31) + strings.Repeat("ü", 40)
	if got := limitNote(edge); !utf8.ValidString(got) || len(got) > maxEventNote {
		t.Fatalf("cut inside a rune: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}

func TestIdenticalEventsWithinAMinuteAreRecordedOnce(t *testing.T) {
	fake := events.NewFakeRecorder(10)
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	l := newNoteLimit(fake, clk)
	nc := &nacosv1alpha1.NacosCluster{ObjectMeta: metav1.ObjectMeta{Name: "a", UID: "uid-a"}}
	other := &nacosv1alpha1.NacosCluster{ObjectMeta: metav1.ObjectMeta{Name: "b", UID: "uid-b"}}
	l.Eventf(nc, nil, corev1.EventTypeWarning, "Degraded", "Observe", "%s", "nacos-1: pod is terminating")
	l.Eventf(nc, nil, corev1.EventTypeWarning, "Degraded", "Observe", "%s", "nacos-1: pod is terminating")    // the racing pass
	l.Eventf(other, nil, corev1.EventTypeWarning, "Degraded", "Observe", "%s", "nacos-1: pod is terminating") // another cluster
	l.Eventf(nc, nil, corev1.EventTypeWarning, "Degraded", "Observe", "%s", "nacos-2: pod is terminating")    // another message
	clk.SetTime(clk.Now().Add(repeatWindow))
	l.Eventf(nc, nil, corev1.EventTypeWarning, "Degraded", "Observe", "%s", "nacos-1: pod is terminating") // a minute later
	close(fake.Events)
	var got []string
	for e := range fake.Events {
		got = append(got, e)
	}
	want := []string{
		"Warning Degraded nacos-1: pod is terminating", "Warning Degraded nacos-1: pod is terminating",
		"Warning Degraded nacos-2: pod is terminating", "Warning Degraded nacos-1: pod is terminating",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(l.recent) != 1 {
		t.Errorf("%d remembered events after the window; want the pruned map to hold only the last", len(l.recent))
	}
}

func TestEventsOfAPlannedRestartAreNotWarnings(t *testing.T) {
	member := func(name string, h nacosv1alpha1.MemberHealth, distro bool) nacosv1alpha1.MemberStatus {
		return nacosv1alpha1.MemberStatus{Name: name, Health: h, DistroInitialized: distro}
	}
	restarted := &nacosv1alpha1.LastRestart{Member: "nacos-0"}
	cases := []struct {
		name    string
		s       nacosv1alpha1.NacosClusterStatus
		planned bool
	}{
		{"only the restarted member is down", nacosv1alpha1.NacosClusterStatus{LastRestart: restarted, Members: []nacosv1alpha1.MemberStatus{
			member("nacos-0", nacosv1alpha1.HealthUnreachable, false), member("nacos-1", nacosv1alpha1.HealthReady, true)}}, true},
		{"another member is down too", nacosv1alpha1.NacosClusterStatus{LastRestart: restarted, Members: []nacosv1alpha1.MemberStatus{
			member("nacos-0", nacosv1alpha1.HealthUnreachable, false), member("nacos-1", nacosv1alpha1.HealthNotReady, false)}}, false},
		{"another member answers ready without Distro", nacosv1alpha1.NacosClusterStatus{LastRestart: restarted, Members: []nacosv1alpha1.MemberStatus{
			member("nacos-0", nacosv1alpha1.HealthReady, true), member("nacos-1", nacosv1alpha1.HealthReady, false)}}, false},
		{"no rollout", nacosv1alpha1.NacosClusterStatus{Members: []nacosv1alpha1.MemberStatus{member("nacos-0", nacosv1alpha1.HealthUnreachable, false)}}, false},
	}
	for _, tc := range cases {
		if got := plannedRestart(&tc.s); got != tc.planned {
			t.Errorf("%s: plannedRestart = %v, want %v", tc.name, got, tc.planned)
		}
	}
	s := &nacosv1alpha1.NacosClusterStatus{LastRestart: restarted}
	for _, tc := range []struct {
		d    rollout.Decision
		want string
	}{
		{rollout.Decision{Gate: nacosv1alpha1.GateStabilizing, Member: "nacos-2"}, corev1.EventTypeNormal},
		{rollout.Decision{Gate: nacosv1alpha1.GateCacheNotInSync}, corev1.EventTypeNormal},
		{rollout.Decision{Gate: nacosv1alpha1.GatePodsNotReady, Member: "nacos-0"}, corev1.EventTypeNormal},
		{rollout.Decision{Gate: nacosv1alpha1.GateDistroNotInitialized, Member: "nacos-1"}, corev1.EventTypeWarning},
		{rollout.Decision{Gate: nacosv1alpha1.GateRolloutPaused, Member: "nacos-0"}, corev1.EventTypeWarning},
	} {
		if got := waitEventType(s, tc.d); got != tc.want {
			t.Errorf("gate %s on %q: %s, want %s", tc.d.Gate, tc.d.Member, got, tc.want)
		}
	}
}
