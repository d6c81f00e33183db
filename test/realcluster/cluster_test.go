package realcluster

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/rollout"
	"github.com/nacos-operator/nacos-operator/test/fidelity"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// TestRealCluster2x puts config/samples' 3-member 2.5.1 embedded cluster through the
// product's promises, one scenario after another on the same cluster (a cold start costs
// minutes): create, gated rolling restarts, a hung member, scaling, the seed's case.
func TestRealCluster2x(t *testing.T) {
	needReal(t)
	ns, err := env.CreateNamespace(t.Context(), "real")
	if err != nil {
		t.Fatal(err)
	}
	bare := bareStart(t, sample(t, "bare"))
	startOperator(t)
	key := types.NamespacedName{Namespace: ns, Name: "nacos"}
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"create", func(t *testing.T) { create(t, key, bare) }},
		{"dns: one peer's name hidden", func(t *testing.T) { hiddenPeerName(t, key) }},
		{"restartedAt", func(t *testing.T) { restartedAt(t, key) }},
		{"config change with a hung member", func(t *testing.T) { configChangeWithHungMember(t, key) }},
		{"scale 3-5-3", func(t *testing.T) { scaleOutAndIn(t, key) }},
		{"drops: the seed's case, then a slow start", func(t *testing.T) { dropsInOneRollout(t, key) }},
	}
	for _, s := range steps {
		covered.at("2.5.1 " + s.name)
		start := time.Now()
		ok := t.Run(s.name, s.run)
		writeMeasure("step "+s.name, fmt.Sprintf("%.0f s", time.Since(start).Seconds()))
		if !ok {
			return // the next scenario starts from this one's end state
		}
	}
}

// bareStart starts the sample's three JVMs by hand (no operator, no kubelet), exactly as
// the operator would configure them, and measures how long until all three are ready:
// the baseline of the operator's own create time.
func bareStart(t *testing.T, nc *nacosv1alpha1.NacosCluster) time.Duration {
	t.Helper()
	dir, err := os.MkdirTemp("", "nacos-bare-")
	if err != nil {
		t.Fatal(err)
	}
	p, err := fidelity.NewPods(nc, runner, dir, runner.Net.AllocateIP)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Log(runner.Logs(3000)) // before the members and their homes go
		}
		p.Close()
		_ = os.RemoveAll(dir)
	}()
	start := time.Now()
	for i := 0; i < int(nc.Spec.Replicas); i++ {
		if _, err := p.Start(i); err != nil {
			t.Fatal(err)
		}
	}
	// By hand too, a stalled member gets the leadership moved (what an expert would do).
	nudges := 0
	for i := 0; i < int(nc.Spec.Replicas); i++ {
		_, n, err := p.StartedDespiteStall(t.Context(), i, 10*time.Minute, p.Ready(i), t.Logf)
		if err != nil {
			t.Fatal(err)
		}
		nudges += n
	}
	took := time.Since(start)
	t.Logf("bare start: %d JVMs started by hand, all ready after %.0f s (%d nudges)", nc.Spec.Replicas, took.Seconds(), nudges)
	writeMeasure("bare start", fmt.Sprintf("%.0f s, %d nudges", took.Seconds(), nudges))
	return took
}

// create applies the sample and waits for Ready with Distro 3/3; reports the time against
// the bare start measured in the same run.
func create(t *testing.T, key types.NamespacedName, bare time.Duration) {
	start := time.Now()
	if err := env.Client.Create(t.Context(), sample(t, key.Namespace)); err != nil {
		t.Fatal(err)
	}
	poll(t, 12*time.Minute, readyWith(key, 3))
	took := time.Since(start)
	t.Logf("create: apply to Ready (Distro 3/3) %.0f s; bare start %.0f s; ratio %.2f", took.Seconds(), bare.Seconds(), took.Seconds()/bare.Seconds())
	writeMeasure("create", fmt.Sprintf("apply-to-Ready %.0f s, bare start %.0f s, ratio %.2f", took.Seconds(), bare.Seconds(), took.Seconds()/bare.Seconds()))
	for _, reason := range []string{nacosv1alpha1.EventStartupNudged, nacosv1alpha1.EventStartupRestarted} {
		for _, note := range eventNotes(t, key.Namespace, reason) {
			t.Logf("create: %s: %s", reason, note)
			writeMeasure("create "+reason, note)
		}
	}
	for name, inc := range incarnations(t, key.Namespace) {
		if !strings.HasSuffix(inc, "/0") {
			t.Errorf("%s was restarted during the create (%s): the startup budget is too short", name, inc)
		}
	}
}

// restartedAt: the annotation rolls every member once, leader last, never two at a time.
func restartedAt(t *testing.T, key types.NamespacedName) {
	rec := harness.StartRecorder(t, env.Config, key.Namespace, 3, memberAccess(key.Namespace, 2))
	load := startClient(t, key, clientServiceIP)
	start, before := time.Now(), revision(t, key)
	patch(t, key, fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, nacosv1alpha1.AnnotationRestartedAt, time.Now().UTC().Format(time.RFC3339)))
	newRevision(t, key, before)
	poll(t, 20*time.Minute, rolledOut(key, 3))
	deletions := checkRollout(t, rec, 3)
	stats := load.report(t, key)
	t.Logf("restartedAt: the Go SDK client through the rollout: %s", stats)
	writeMeasure("client during restartedAt", stats)
	t.Logf("restartedAt: %v in %.0f s", deletions, time.Since(start).Seconds())
	writeMeasure("restartedAt", fmt.Sprintf("%v in %.0f s", deletions, time.Since(start).Seconds()))
}

// configChangeWithHungMember: a property change rolls the cluster; once the first member is
// back, a member not yet restarted is frozen (SIGSTOP). The rollout must wait with a gate as
// its reason and delete nobody while it is hung; once resumed (SIGCONT) it finishes.
func configChangeWithHungMember(t *testing.T, key types.NamespacedName) {
	rec := harness.StartRecorder(t, env.Config, key.Namespace, 3, memberAccess(key.Namespace, 2))
	before := revision(t, key)
	patch(t, key, `{"spec":{"config":{"properties":{"nacos.naming.clean.empty-service.interval":"90000"}}}}`)
	newRevision(t, key, before)
	var first string
	poll(t, 10*time.Minute, func(ctx context.Context) error {
		d, _ := rec.Result()
		if len(d) == 0 {
			return fmt.Errorf("no member restarted yet")
		}
		first = d[0]
		for _, p := range pods(ctx, key.Namespace) {
			if p.Name == first && harness.PodReady(&p) && p.DeletionTimestamp == nil {
				return nil
			}
		}
		return fmt.Errorf("%s not back yet", first)
	})
	nc, err := get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	hung := ""
	for _, m := range nc.Status.Members {
		if m.Name != first && !m.RaftLeader {
			hung = m.Name
		}
	}
	if hung == "" {
		t.Fatalf("no member other than %s and the leader in %+v", first, nc.Status.Members)
	}
	m := runner.Member(key.Namespace, hung)
	m.Pause()
	t.Logf("restarted first: %s; paused %s", first, hung)
	// Less than the liveness budget (10 s x 6): the kubelet would restart a member hung longer.
	holds(t, "no deletion while "+hung+" is hung", 45*time.Second, func(ctx context.Context) error {
		if d, _ := rec.Result(); len(d) > 1 {
			return fmt.Errorf("deleted %v", d)
		}
		return nil
	})
	nc, err = get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	c := cond(nc, nacosv1alpha1.ConditionProgressing)
	if !isGate(c.Reason) || !strings.Contains(c.Message, hung) {
		t.Errorf("Progressing while %s is hung: %s %q; want a gate naming it", hung, c.Reason, c.Message)
	}
	t.Logf("while hung: Progressing %s: %s", c.Reason, c.Message)
	m.Resume()
	poll(t, 20*time.Minute, rolledOut(key, 3))
	checkRollout(t, rec, 3)
}

// clientServiceIP is the client Service's address (a loopback address this test owns).
const clientServiceIP = "127.0.214.50"

func isGate(reason string) bool { return slices.Contains(rollout.GateNames(), reason) }

// writeMeasure appends a measured number to $NACOS_MEASURES (for docs/real-nacos.md).
func writeMeasure(what, value string) {
	path := os.Getenv("NACOS_MEASURES")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer func() { _ = f.Close() }()
	_, _ = fmt.Fprintf(f, "%s %s: %s\n", time.Now().UTC().Format(time.RFC3339), what, value)
}
