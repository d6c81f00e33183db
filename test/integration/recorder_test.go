package integration

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
	"github.com/nacos-operator/nacos-operator/test/harness"
)

// startRecorder runs the rollout invariant recorder (harness.Recorder) on the simulated
// members of ns, read straight from the simulator.
func startRecorder(t testing.TB, ns string, replicas int) *harness.Recorder {
	t.Helper()
	member := func(pod string) *sim.Member {
		m, _ := kubelet.Member(ns, pod).(*sim.Member)
		return m
	}
	return harness.StartRecorder(t, env.Config, ns, replicas, harness.MemberAccess{
		Dial: func(pod string) string {
			if m := member(pod); m != nil {
				return kubelet.Resolve(m.Address())
			}
			return ""
		},
		Distro: func(_ context.Context, pod string) (bool, error) {
			if m := member(pod); m != nil {
				return m.DistroInitialized(), nil
			}
			return false, fmt.Errorf("%s is not running", pod)
		},
	})
}

func podReady(p *corev1.Pod) bool { return harness.PodReady(p) }
