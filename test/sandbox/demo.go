package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// DemoOptions are `sandbox demo`'s flags.
type DemoOptions struct {
	UpOptions
	// Markdown receives the story as Markdown (docs/demo.md); empty: the terminal only.
	Markdown string
}

// mirror is the image the demo changes to: the same release from another registry, as a
// user moving to a mirror would (the simulated member reads only the tag's version).
const mirror = "registry.example.internal/nacos/nacos-server:v2.5.1"

// Demo runs the scripted story of docs/demo.md on a fresh sandbox and stops it. Each act
// checks what it shows (member by member, nothing restarted by a scale), so a story that no
// longer happens fails instead of printing something else.
func Demo(o DemoOptions) (err error) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	out := io.Writer(os.Stdout)
	if o.Markdown != "" {
		f, err := os.Create(o.Markdown)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer func() { err = errors.Join(err, f.Close()) }()
		out = io.MultiWriter(os.Stdout, f)
	}
	s, op, err := launch(o.UpOptions, os.Stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, shutdown(s, op, o.Dir, os.Stderr)) }()
	st := &story{s: s, out: out, ns: "default", name: "nacos"}
	st.header()
	for _, act := range []func(context.Context) error{st.create, st.changeImage, st.stuckMember, st.scale} {
		if err := act(ctx); err != nil {
			return fmt.Errorf("demo: %w\noperator log (last lines):\n%s", err, op.Tail(30))
		}
	}
	return nil
}

type story struct {
	s        *Sandbox
	out      io.Writer
	ns, name string
	since    time.Time // the current timeline's start: the waits' "after N s" count from it
}

func (st *story) header() {
	st.printf("# The demo: one NacosCluster, start to finish\n\n")
	st.printf("Written by `make demo` on %s: the operator binary on the sandbox (`make sandbox`:\n", time.Now().UTC().Format("2006-01-02"))
	st.printf("a real kube-apiserver, etcd and kube-controller-manager, a fake kubelet, simulated\n")
	st.printf("Nacos members). Every block below is the real output of that run; the timelines are\n")
	st.printf("what the demo saw, polling every 100 ms, with seconds since the command.\n")
}

func (st *story) create(ctx context.Context) error {
	st.act("1. Create: apply the sample, wait for Ready",
		"The sample is a 3-member 2.5.1 cluster with embedded storage (`config/samples`).")
	tl := st.follow(ctx)
	if err := st.kubectl(ctx, "apply", "-f", "config/samples/nacos_v1alpha1_nacoscluster.yaml"); err != nil {
		return err
	}
	if err := st.until(ctx, "Ready", 2*time.Minute, isReady); err != nil {
		return err
	}
	st.timeline(tl.stop())
	return errors.Join(st.kubectl(ctx, "get", "nacos"), st.kubectl(ctx, "get", "pods"))
}

func (st *story) changeImage(ctx context.Context) error {
	st.act("2. Change the image: a gated rollout, member by member",
		"Moving to a mirror of the same release changes the pod template. The operator restarts\n"+
			"one member at a time, waits until it is back in Kubernetes, in Nacos and in every peer's\n"+
			"member list with Distro loaded, and restarts the Raft leader last (after handing its\n"+
			"leadership over).")
	before, err := st.pods(ctx)
	if err != nil {
		return err
	}
	tl := st.follow(ctx)
	if err := st.kubectl(ctx, "patch", "nacos", st.name, "--type=merge", "-p", `{"spec":{"image":"`+mirror+`"}}`); err != nil {
		return err
	}
	if err := st.until(ctx, "every member on the new image and Ready", 3*time.Minute, rolledOut); err != nil {
		return err
	}
	lines := tl.stop()
	st.timeline(lines)
	if err := oneAtATime(lines, before); err != nil {
		return err
	}
	return st.kubectl(ctx, "get", "pods", "-o", "custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image,READY:.status.containerStatuses[*].ready")
}

func (st *story) stuckMember(ctx context.Context) error {
	st.act("3. A member whose Distro never loads: the rollout waits and says why",
		"`hack/sandbox fault nacos-1 distro-stuck` restarts nacos-1 with its Distro snapshot loads\n"+
			"failing, the state behind Nacos's \"Distro protocol is not initialized\". Then a restart of\n"+
			"the whole cluster is requested. The operator restarts nothing while a member is unhealthy.\n"+
			"The diagnosis says \"wait\" for the first 2 minutes (`--distro-init-window`: Nacos retries\n"+
			"every 30 s); past that it points at the member's Distro logs, or names a cause it can see\n"+
			"(peers unreachable, a NetworkPolicy, a stale cluster.conf; see docs/diagnosis.md).")
	tl := st.follow(ctx)
	if err := st.fault("nacos-1", DistroStuck); err != nil {
		return err
	}
	if err := st.until(ctx, "DistroInitialized False", time.Minute, func(nc *nacosv1alpha1.NacosCluster) bool {
		return condition(nc, nacosv1alpha1.ConditionDistroInitialized) == "False"
	}); err != nil {
		return err
	}
	before, err := st.pods(ctx)
	if err != nil {
		return err
	}
	if err := st.kubectl(ctx, "annotate", "--overwrite", "nacos", st.name, nacosv1alpha1.AnnotationRestartedAt+"="+time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	if err := st.until(ctx, "the rollout halted on a named gate", time.Minute, func(nc *nacosv1alpha1.NacosCluster) bool {
		return nc.Status.UpdateRevision != nc.Status.CurrentRevision && blocked(nc) != ""
	}); err != nil {
		return err
	}
	// Held for a while: nothing may be restarted while the gate fails.
	if err := st.holds(ctx, 5*time.Second, before); err != nil {
		return err
	}
	st.timeline(tl.stop())
	if err := st.kubectl(ctx, "get", "nacos", "-o", "wide"); err != nil {
		return err
	}
	if err := st.kubectl(ctx, "describe", "nacos", st.name); err != nil {
		return err
	}
	st.printf("\nHealing the member lets its Distro load; the rollout then runs to the end.\n")
	tl = st.follow(ctx)
	if err := st.fault("nacos-1", Heal); err != nil {
		return err
	}
	if err := st.until(ctx, "the rollout finished", 3*time.Minute, rolledOut); err != nil {
		return err
	}
	lines := tl.stop()
	st.timeline(lines)
	return oneAtATime(lines, before)
}

func (st *story) scale(ctx context.Context) error {
	st.act("4. Scale 3 -> 5 -> 3: no member restarts",
		"The operator rewrites every member's cluster.conf through its sidecar; Nacos re-reads it,\n"+
			"so the members that stay keep running. Scaling down removes the highest ordinals.")
	before, err := st.pods(ctx)
	if err != nil {
		return err
	}
	for _, n := range []int32{5, 3} {
		tl := st.follow(ctx)
		if err := st.kubectl(ctx, "patch", "nacos", st.name, "--type=merge", "-p", fmt.Sprintf(`{"spec":{"replicas":%d}}`, n)); err != nil {
			return err
		}
		if err := st.until(ctx, fmt.Sprintf("%d members Ready, every member's list equal to them", n), 3*time.Minute, func(nc *nacosv1alpha1.NacosCluster) bool {
			return isReady(nc) && nc.Status.ReadyReplicas == n && len(nc.Status.Members) == int(n) &&
				condition(nc, nacosv1alpha1.ConditionMembershipConsistent) == "True"
		}); err != nil {
			return err
		}
		if err := st.podsGone(ctx, n); err != nil {
			return err
		}
		st.timeline(tl.stop())
		if err := st.kubectl(ctx, "get", "nacos", st.name, "-o", `jsonpath={range .status.conditions[?(@.type=="MembershipConsistent")]}{.type}={.status} {.reason}: {.message}{"\n"}{end}`); err != nil {
			return err
		}
	}
	after, err := st.pods(ctx)
	if err != nil {
		return err
	}
	for name, uid := range before {
		if after[name] != uid {
			return fmt.Errorf("%s was replaced by the scale (uid %s -> %s)", name, uid, after[name])
		}
	}
	st.printf("\nnacos-0, nacos-1 and nacos-2 are the same pods (same UIDs) as before the scale.\n")
	return st.kubectl(ctx, "get", "pods")
}

// act starts a section.
func (st *story) act(title, text string) { st.printf("\n## %s\n\n%s\n", title, text) }

func (st *story) printf(format string, args ...any) { _, _ = fmt.Fprintf(st.out, format, args...) }

// kubectl runs kubectl and prints the command and its output as the user would see them.
func (st *story) kubectl(ctx context.Context, args ...string) error {
	out, err := st.s.KubectlOutput(ctx, args...)
	st.printf("\n```console\n$ kubectl %s\n%s```\n", shellJoin(args), withNewline(out))
	return err
}

// fault applies a sandbox fault and prints it as `hack/sandbox fault` would.
func (st *story) fault(pod string, f Fault) error {
	msg, err := st.s.Fault(st.ns, pod, f)
	st.printf("\n```console\n$ hack/sandbox fault %s %s\n%s\n```\n", pod, f, msg)
	return err
}

func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " {}\"'$[]()") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

func withNewline(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

func (st *story) get(ctx context.Context) (*nacosv1alpha1.NacosCluster, error) {
	nc := &nacosv1alpha1.NacosCluster{}
	if err := st.s.Env.Client.Get(ctx, client.ObjectKey{Namespace: st.ns, Name: st.name}, nc); err != nil {
		return nil, fmt.Errorf("get NacosCluster %s/%s: %w", st.ns, st.name, err)
	}
	return nc, nil
}

func isReady(nc *nacosv1alpha1.NacosCluster) bool {
	return nc.Status.ObservedGeneration == nc.Generation && condition(nc, nacosv1alpha1.ConditionReady) == "True"
}

// rolledOut: Ready on the update revision with Progressing over, which the operator
// says only once the member restarted last has rejoined.
func rolledOut(nc *nacosv1alpha1.NacosCluster) bool {
	return isReady(nc) && nc.Status.UpdatedReplicas == nc.Spec.Replicas && nc.Status.CurrentRevision == nc.Status.UpdateRevision &&
		condition(nc, nacosv1alpha1.ConditionProgressing) == "False"
}

func condition(nc *nacosv1alpha1.NacosCluster, t string) string {
	for _, c := range nc.Status.Conditions {
		if c.Type == t {
			return string(c.Status)
		}
	}
	return ""
}

// blocked is the first member gate the rollout waits on ("" when none).
func blocked(nc *nacosv1alpha1.NacosCluster) string {
	for _, m := range nc.Status.Members {
		if m.BlockedBy != "" {
			return m.Name + " " + m.BlockedBy
		}
	}
	return ""
}
