package harness

import (
	"context"
	"fmt"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// With Kubelet.EnforceProbes the kubelet runs the pod's three probes as the real one does, in
// a goroutine per pod: the startup probe until it first succeeds, then liveness and
// readiness, each at its own period with its own timeout; FailureThreshold failures in a row
// of the startup or liveness probe restart the container (the member is stopped and run
// again under the same IP, its home kept), counted in restartCount with the reason in
// lastState. This is what makes a startup budget that is too short visible in a test: the
// member is killed for being slow. Without it the kubelet only reads readiness each pass,
// which the simulator's fast tests rely on.

// probeState is what the prober found; the pass loop writes it into the pod status.
type probeState struct {
	started     bool
	ready       bool
	restarts    int    // restarts the kubelet made (probe failures)
	lastFailure string // "Startup probe failed: ..." of the last restart
	lastReason  string // the last termination's reason: Error, or what Terminated set
	lastAt      time.Time
}

// scaled is a probe duration under ProbeScale (1 when unset).
func (k *Kubelet) scaled(seconds int32, floor time.Duration) time.Duration {
	scale := k.ProbeScale
	if scale == 0 {
		scale = 1
	}
	d := time.Duration(float64(time.Duration(seconds)*time.Second) * scale)
	return max(d, floor)
}

type probeRun struct {
	name     string
	probe    *corev1.Probe
	next     time.Time
	failures int
	last     string
}

// runProbes probes the pod until ctx ends; restart stops and reruns the member.
func (k *Kubelet) runProbes(ctx context.Context, s *podState, c corev1.Container, restart func(reason string)) {
	var startup, live, ready *probeRun
	fresh := func() { // a restarted container starts its probes over
		startup = &probeRun{name: "Startup", probe: c.StartupProbe}
		live = &probeRun{name: "Liveness", probe: c.LivenessProbe}
		ready = &probeRun{name: "Readiness", probe: c.ReadinessProbe}
	}
	fresh()
	tick := time.NewTicker(k.scaled(1, 20*time.Millisecond) / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		s.mu.Lock()
		started := s.probes.started || startup.probe == nil
		s.mu.Unlock()
		if !started {
			if ok, due := k.probeDue(ctx, s, startup); due && ok {
				s.setProbe(func(p *probeState) { p.started = true })
			} else if due && startup.failures >= int(startup.probe.FailureThreshold) {
				restart(startup.last)
				fresh()
			}
			continue
		}
		if ok, due := k.probeDue(ctx, s, ready); due {
			s.setProbe(func(p *probeState) { p.ready = ok })
		}
		if _, due := k.probeDue(ctx, s, live); due && live.failures >= int(live.probe.FailureThreshold) {
			restart(live.last)
			fresh()
		}
	}
}

// probeDue runs the probe when its period has passed; due reports whether it ran.
func (k *Kubelet) probeDue(ctx context.Context, s *podState, r *probeRun) (ok, due bool) {
	if r.probe == nil || r.probe.HTTPGet == nil {
		return true, false
	}
	now := time.Now()
	if now.Before(r.next) {
		return false, false
	}
	r.next = now.Add(k.scaled(max(r.probe.PeriodSeconds, 1), 10*time.Millisecond))
	url := fmt.Sprintf("http://%s:%d%s", s.ip, r.probe.HTTPGet.Port.IntValue(), r.probe.HTTPGet.Path)
	ok, why := httpProbe(ctx, url, k.scaled(max(r.probe.TimeoutSeconds, 1), 100*time.Millisecond))
	if ok {
		r.failures = 0
		return true, true
	}
	r.failures++
	r.last = fmt.Sprintf("%s probe failed %d times in a row: %s", r.name, r.failures, why)
	return false, true
}

func httpProbe(ctx context.Context, url string, timeout time.Duration) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, fmt.Sprintf("Get %q: %v", url, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return false, fmt.Sprintf("HTTP probe failed with statuscode: %d", resp.StatusCode)
	}
	return true, ""
}

func (s *podState) setProbe(f func(*probeState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.probes)
}

// restartContainer is the kubelet killing a container for a failed probe and starting it
// again: the member stops (its grace period applies) and runs anew from the same PodRun.
func (k *Kubelet) restartContainer(s *podState, run PodRun, reason string) {
	s.mu.Lock()
	old := s.member
	s.member = nil
	restarts := s.probes.restarts + 1
	if e, ok := old.(exits); ok {
		own, _ := e.Exits()
		restarts += own // the new member counts its own from zero
	}
	s.probes = probeState{restarts: restarts, lastFailure: reason, lastReason: "Error", lastAt: time.Now()}
	s.mu.Unlock()
	if old != nil {
		old.Stop()
	}
	m, err := k.Runner.Run(run)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.crash = err.Error()
		return
	}
	s.member = m
}

// Restart kills a pod's container and starts it again, as the container runtime does when
// the process exits (reason as lastState.terminated.reason, e.g. Error): the restart count
// grows and the member starts afresh from the same pod. The sandbox's crash fault uses it.
func (k *Kubelet) Restart(namespace, name, reason string) error {
	k.mu.Lock()
	s := k.pods[namespace+"/"+name]
	k.mu.Unlock()
	if s == nil {
		return fmt.Errorf("fake kubelet: no running pod %s/%s", namespace, name)
	}
	k.restartContainer(s, s.run, reason)
	return nil
}

// exits counts restarts the runner made itself (a JVM that exited and was started again).
type exits interface {
	Exits() (int, error)
}

// started is the container's Started: its startup probe passed (always without probes).
func (k *Kubelet) started(s *podState) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.enforce || s.probes.started
}

// restartCount is the container's restartCount (the kubelet's restarts plus the runner's)
// and the last termination's message.
func (s *podState) restartCount() (int32, string) {
	n, last := s.termination()
	if last == nil {
		return n, ""
	}
	return n, last.Message
}

// termination is the container's restartCount and lastState.terminated (nil before any).
func (s *podState) termination() (int32, *corev1.ContainerStateTerminated) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.probes.restarts
	if e, ok := s.member.(exits); ok {
		own, _ := e.Exits()
		n += own
	}
	if s.probes.lastAt.IsZero() {
		return int32(n), nil
	}
	return int32(n), &corev1.ContainerStateTerminated{ExitCode: 137, Reason: s.probes.lastReason,
		Message: s.probes.lastFailure, FinishedAt: metav1.NewTime(s.probes.lastAt)}
}

// Terminated records that a pod's container ended for reason (OOMKilled, Error) after
// restarts restarts, as the container runtime reports it, while the member runs on. The
// kubelet keeps it in every status it writes, so a test's injected termination is not lost
// to the next write.
func (k *Kubelet) Terminated(namespace, name, reason string, restarts int) error {
	k.mu.Lock()
	s := k.pods[namespace+"/"+name]
	k.mu.Unlock()
	if s == nil {
		return fmt.Errorf("fake kubelet: no running pod %s/%s", namespace, name)
	}
	s.setProbe(func(p *probeState) {
		p.restarts, p.lastReason, p.lastFailure, p.lastAt = restarts, reason, "", time.Now()
	})
	return nil
}
