package cost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
	"github.com/nacos-operator/nacos-operator/test/harness"
	"github.com/nacos-operator/nacos-operator/test/sandbox"
)

const idleNS = "idle"

// profileEnv names a file for a 30 s CPU profile of the operator idle with 100 clusters
// (COST_PROFILE=/tmp/cpu.pprof make bench; read it with go tool pprof).
const (
	profileEnv = "COST_PROFILE"
	pprofAddr  = "127.0.0.1:6065"
)

// profile writes the running operator's CPU profile over d to the file COST_PROFILE names.
func profile(b *testing.B, d time.Duration) {
	b.Helper()
	path := os.Getenv(profileEnv)
	if path == "" {
		return
	}
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, int(d.Seconds()))) //nolint:noctx,gosec // local
	if err != nil {
		b.Fatalf("profile the operator: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if _, err := io.Copy(f, resp.Body); err != nil {
		b.Fatal(err)
	}
	b.Logf("CPU profile of the operator (%s) in %s", d, path)
}

// operator returns the running operator binary, starting one with its default flags.
func (bd *bed) operator(b *testing.B) *sandbox.Operator {
	b.Helper()
	if bd.op != nil {
		if done, _ := bd.op.Exited(); !done {
			return bd.op
		}
	}
	bd.starts++
	var flags []string
	if os.Getenv(profileEnv) != "" {
		flags = append(flags, "--pprof-bind-address="+pprofAddr)
	}
	op, err := bd.box.StartOperator(bd.binary, fmt.Sprintf("cost-operator-%d", bd.starts), flags...)
	if err != nil {
		b.Fatal(err)
	}
	bd.op = op
	return op
}

// clusters makes sure namespace ns holds clusters c-0 .. c-<n-1>, three members each.
func (bd *bed) clusters(b *testing.B, ns string, n int) {
	b.Helper()
	ctx := context.Background()
	c := bd.box.Env.Client
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		// Unstructured, as kubectl sends it: a typed spec would send its zero values, not
		// leave them to the CRD's defaults.
		nc := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": nacosv1alpha1.GroupVersion.String(), "kind": "NacosCluster",
			"metadata": map[string]any{"namespace": ns, "name": fmt.Sprintf("c-%d", i)},
			"spec":     map[string]any{"version": "2.5.1", "mode": "cluster", "replicas": int64(3)},
		}}
		if err := c.Create(ctx, nc); err != nil && !apierrors.IsAlreadyExists(err) {
			b.Fatalf("create cluster %s/%s: %v", ns, nc.GetName(), err)
		}
	}
}

// waitReady polls until n clusters of ns are Ready with Distro n/n for their generation.
func (bd *bed) waitReady(b *testing.B, ns string, n int, timeout time.Duration) {
	b.Helper()
	last := ""
	err := harness.Eventually(context.Background(), timeout, func(ctx context.Context) (bool, error) {
		list := &nacosv1alpha1.NacosClusterList{}
		if err := bd.box.Env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
			return false, err
		}
		ready := 0
		for _, nc := range list.Items {
			if nc.Status.ObservedGeneration == nc.Generation && nc.Status.Phase == nacosv1alpha1.PhaseReady && nc.Status.Distro == "3/3" {
				ready++
			}
		}
		last = fmt.Sprintf("%d of %d clusters Ready", ready, n)
		return ready >= n, errors.New(last)
	})
	if err != nil {
		b.Fatalf("%s: not Ready within %s: %s", ns, timeout, last)
	}
}

// waitReconciledBy waits until op has reconciled every cluster of ns at least once and
// they are Ready, so its caches are full before a measurement.
func (bd *bed) waitReconciledBy(b *testing.B, op *sandbox.Operator, ns string, n int) {
	b.Helper()
	err := harness.Eventually(context.Background(), 5*time.Minute, func(context.Context) (bool, error) {
		done, err := reconciles(op.Metrics)
		return done >= float64(n), fmt.Errorf("%.0f reconciles of %d clusters: %w", done, n, err)
	})
	if err != nil {
		b.Fatal(err)
	}
	bd.waitReady(b, ns, n, 5*time.Minute)
}

// reconciles counts the NacosCluster controller's reconciles that did not fail.
func reconciles(url string) (float64, error) {
	sums, err := metricSums(url, "controller_runtime_reconcile_total", func(labels string) bool {
		return strings.Contains(labels, `controller="nacoscluster"`) && !strings.Contains(labels, `result="error"`)
	})
	if err != nil {
		return 0, err
	}
	return sums[0], nil
}

// removeClusters deletes every cluster of ns and waits until their pods are gone.
func (bd *bed) removeClusters(b *testing.B, ns string) {
	b.Helper()
	ctx := context.Background()
	c := bd.box.Env.Client
	if err := c.DeleteAllOf(ctx, &nacosv1alpha1.NacosCluster{}, client.InNamespace(ns)); err != nil {
		b.Fatal(err)
	}
	err := harness.Eventually(ctx, 5*time.Minute, func(ctx context.Context) (bool, error) {
		pods := &corev1.PodList{}
		if err := c.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{nacosv1alpha1.LabelName: nacosv1alpha1.LabelNameValue}); err != nil {
			return false, err
		}
		return len(pods.Items) == 0, fmt.Errorf("%d member pods left", len(pods.Items))
	})
	if err != nil {
		b.Fatal(err)
	}
}

// unrelated creates count Pods and count Secrets that are not the operator's: no node runs
// the Pods (they stay Pending), each Secret holds 1 KiB.
func (bd *bed) unrelated(b *testing.B, ns string, count int) {
	b.Helper()
	ctx := context.Background()
	work := make(chan int)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	payload := strings.Repeat("x", 1024)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				labels := map[string]string{"app": "other", "tier": fmt.Sprintf("t%d", i%10)}
				pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("other-%d", i), Labels: labels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.internal/app:1",
						Env: []corev1.EnvVar{{Name: "PAYLOAD", Value: payload}}}}}}
				secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("other-%d", i), Labels: labels},
					StringData: map[string]string{"token": payload}}
				for _, o := range []client.Object{pod, secret} {
					if err := bd.box.Env.Client.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
						errs <- err
						return
					}
				}
			}
		}()
	}
	for i := 0; i < count; i++ {
		select {
		case work <- i:
		case err := <-errs:
			close(work)
			wg.Wait()
			b.Fatalf("create unrelated objects: %v", err)
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatalf("create unrelated objects: %v", err)
	default:
	}
}

// bareStart starts three simulated members with the benchmark's periods by hand and times
// them until every one answers ready, with naming UP and all three UP in its member list.
func bareStart(b *testing.B) time.Duration {
	b.Helper()
	dir, err := os.MkdirTemp("", "nacos-bare-")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	c, err := sim.NewCluster(sim.ClusterConfig{Size: 3, IPPrefix: "127.0.250.", BaseDir: dir,
		Template: sim.Config{Version: "2.5.1", Storage: sim.StorageEmbedded, Warmup: true, Periods: periods}})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := c.Start(); err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
	err = harness.Eventually(context.Background(), 2*time.Minute, func(ctx context.Context) (bool, error) {
		for _, m := range c.Members {
			if why := memberUp(ctx, c.Resolve(m.Address())); why != "" {
				return false, errors.New(why)
			}
		}
		return true, nil
	})
	if err != nil {
		b.Fatalf("three members started by hand: %v", err)
	}
	return time.Since(start)
}

func memberUp(ctx context.Context, address string) string {
	cl := nacos.New(address, nacos.Options{Timeout: time.Second})
	if r, err := cl.Readiness(ctx); err != nil || !r.Ready {
		return fmt.Sprintf("%s not ready (%v %s)", address, err, r.Message)
	}
	if s, err := cl.NamingStatus(ctx); err != nil || s.Status != "UP" {
		return fmt.Sprintf("%s naming not UP (%v)", address, err)
	}
	members, err := cl.Members(ctx)
	if err != nil {
		return err.Error()
	}
	up := 0
	for _, m := range members {
		if m.State == nacos.MemberUp {
			up++
		}
	}
	if up != 3 {
		return fmt.Sprintf("%s lists %d members UP", address, up)
	}
	return ""
}
