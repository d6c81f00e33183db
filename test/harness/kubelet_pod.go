package harness

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// startPod binds the pod to the node (the scheduler's job), lays out its volumes, starts its
// writer and member, and reports it Running.
func (k *Kubelet) startPod(ctx context.Context, key string, pod *corev1.Pod) error {
	if pod.Spec.NodeName == "" {
		binding := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
			Target: corev1.ObjectReference{Kind: "Node", Name: NodeName}}
		if err := k.Client.SubResource("binding").Create(ctx, pod, binding); err != nil {
			return fmt.Errorf("bind pod to %s: %w", NodeName, err)
		}
	}
	cm, err := k.configMapData(ctx, pod)
	if err != nil {
		return err
	}
	env, err := k.resolveEnv(ctx, pod)
	if err != nil {
		return err
	}
	k.mu.Lock()
	home, ok := k.homes[key]
	if !ok {
		home = filepath.Join(k.Root, pod.Namespace, pod.Name, "home")
		k.homes[key] = home
	}
	ip := k.allocateIP()
	address := fmt.Sprintf("%s.%s.%s.svc.%s:%d", pod.Spec.Hostname, pod.Spec.Subdomain, pod.Namespace, k.ClusterDomain, resource.PortHTTP)
	k.dns[address] = ip + ":8848"
	k.mu.Unlock()

	s := &podState{uid: string(pod.UID), ip: ip, cmDir: filepath.Join(k.Root, pod.Namespace, pod.Name, string(pod.UID), "etc-nacos")}
	if err := project(s, cm); err != nil {
		return err
	}
	if err := prepareConf(home, cm); err != nil {
		return err
	}
	sidecar, err := k.startSidecar(s, pod, home)
	if err != nil {
		return err
	}
	run := PodRun{Namespace: pod.Namespace, Name: pod.Name, IP: ip, Address: address, Home: home,
		Image: nacosContainer(pod).Image, Env: env, Resolve: k.resolverFor(pod.Namespace, pod.Name), Sidecar: sidecar}
	s.run = run
	member, err := k.Runner.Run(run)
	if err != nil {
		s.crash = err.Error() // the container keeps failing: CrashLoopBackOff
	}
	s.member = member
	s.enforce = k.EnforceProbes || k.ProbesIn != nil && k.ProbesIn(pod.Namespace)
	if s.enforce && err == nil {
		ctx, cancel := context.WithCancel(context.Background())
		s.stopProbe = cancel
		go k.runProbes(ctx, s, nacosContainer(pod), func(reason string) { k.restartContainer(s, run, reason) })
	}
	k.mu.Lock()
	k.pods[key] = s
	k.mu.Unlock()
	return k.writeStatus(ctx, pod, s)
}

func (k *Kubelet) configMapData(ctx context.Context, pod *corev1.Pod) (map[string]string, error) {
	for _, v := range pod.Spec.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		cm := &corev1.ConfigMap{}
		if err := k.Client.Get(ctx, client.ObjectKey{Namespace: pod.Namespace, Name: v.ConfigMap.Name}, cm); err != nil {
			return nil, fmt.Errorf("ConfigMap volume %s: %w", v.ConfigMap.Name, err)
		}
		return cm.Data, nil
	}
	return nil, fmt.Errorf("pod %s has no ConfigMap volume", pod.Name)
}

// resolveEnv evaluates the nacos container's env, reading Secrets and ConfigMaps like the kubelet.
func (k *Kubelet) resolveEnv(ctx context.Context, pod *corev1.Pod) (map[string]string, error) {
	return ResolveEnv(nacosContainer(pod), func(obj client.Object, name, key string) (string, error) {
		if err := k.Client.Get(ctx, client.ObjectKey{Namespace: pod.Namespace, Name: name}, obj); err != nil {
			return "", fmt.Errorf("get %s: %w", name, err)
		}
		switch o := obj.(type) {
		case *corev1.Secret:
			return string(o.Data[key]), nil
		case *corev1.ConfigMap:
			return o.Data[key], nil
		}
		return "", nil
	})
}

// Lookup reads key of the Secret or ConfigMap obj (an empty *corev1.Secret or
// *corev1.ConfigMap) named name, filling obj.
type Lookup func(obj client.Object, name, key string) (string, error)

// ResolveEnv evaluates a container's env as the kubelet does: literal values, secretKeyRef
// and configMapKeyRef (a missing optional reference leaves the variable out).
func ResolveEnv(c corev1.Container, lookup Lookup) (map[string]string, error) {
	out := map[string]string{}
	for _, e := range c.Env {
		var obj client.Object
		var name, key string
		var optional *bool
		switch {
		case e.ValueFrom == nil:
			out[e.Name] = e.Value // the operator uses no $(VAR) references
			continue
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			obj, name, key, optional = &corev1.Secret{}, ref.Name, ref.Key, ref.Optional
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			obj, name, key, optional = &corev1.ConfigMap{}, ref.Name, ref.Key, ref.Optional
		default:
			return nil, fmt.Errorf("env %s: only values, secretKeyRef and configMapKeyRef are supported by the fake kubelet", e.Name)
		}
		v, err := lookup(obj, name, key)
		if err != nil {
			if optional != nil && *optional {
				continue
			}
			return nil, fmt.Errorf("env %s: %T %s: %w", e.Name, obj, name, err)
		}
		out[e.Name] = v
	}
	return out, nil
}

// project writes the ConfigMap the way the kubelet does: a new timestamped directory, then
// an atomic swap of the ..data symlink; the key files are symlinks through ..data.
func project(s *podState, data map[string]string) error {
	s.version++
	dir := filepath.Join(s.cmDir, fmt.Sprintf("..%d", s.version))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("project ConfigMap: %w", err)
	}
	for k, v := range data {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
			return fmt.Errorf("project ConfigMap: %w", err)
		}
	}
	tmp := filepath.Join(s.cmDir, "..data_tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(filepath.Base(dir), tmp); err != nil {
		return fmt.Errorf("project ConfigMap: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(s.cmDir, "..data")); err != nil {
		return fmt.Errorf("project ConfigMap: %w", err)
	}
	for k := range data {
		link := filepath.Join(s.cmDir, k)
		if _, err := os.Lstat(link); os.IsNotExist(err) {
			if err := os.Symlink(filepath.Join("..data", k), link); err != nil {
				return fmt.Errorf("project ConfigMap: %w", err)
			}
		}
	}
	s.projected = data
	return nil
}

// refreshProjection reprojects the ConfigMap when it changed, after ProjectionDelay.
func (k *Kubelet) refreshProjection(ctx context.Context, s *podState, pod *corev1.Pod) {
	data, err := k.configMapData(ctx, pod)
	if err != nil || maps.Equal(data, s.projected) {
		s.pending = time.Time{}
		return
	}
	if s.pending.IsZero() {
		s.pending = time.Now().Add(k.ProjectionDelay)
	}
	if time.Now().After(s.pending) {
		s.pending = time.Time{}
		_ = project(s, data)
	}
}

// writeStatus reports the pod Running with its IP and readiness.
func (k *Kubelet) writeStatus(ctx context.Context, pod *corev1.Pod, s *podState) error {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current := &corev1.Pod{}
		if err := k.Client.Get(ctx, client.ObjectKeyFromObject(pod), current); err != nil {
			return fmt.Errorf("get pod: %w", err)
		}
		if string(current.UID) != s.uid {
			return nil
		}
		now := metav1.Now()
		ready := corev1.ConditionFalse
		restarts, terminated := s.termination()
		s.mu.Lock()
		crash := s.crash
		s.mu.Unlock()
		if s.ready {
			ready = corev1.ConditionTrue
		}
		current.Status.Phase = corev1.PodRunning
		current.Status.PodIP, current.Status.PodIPs = s.ip, []corev1.PodIP{{IP: s.ip}}
		current.Status.HostIP = "127.0.0.1"
		if current.Status.StartTime == nil {
			current.Status.StartTime = &now
		}
		current.Status.Conditions = []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: ready, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: ready, LastTransitionTime: now},
		}
		c := nacosContainer(current)
		startedAt := *current.Status.StartTime
		if terminated != nil {
			startedAt = terminated.FinishedAt // restarted by the kubelet
		}
		state := corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: startedAt}}
		last := corev1.ContainerState{Terminated: terminated}
		if crash != "" {
			state, restarts = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: crash}}, max(restarts, 3)
		}
		current.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: c.Name, Image: c.Image, ImageID: "sim://" + strings.TrimPrefix(c.Image, "docker.io/"),
			Ready: s.ready, Started: ptr.To(k.started(s)), State: state, LastTerminationState: last, RestartCount: restarts,
		}}
		// The other containers run in process and are always up; init containers report as a
		// node reports them (one-shot ones completed, native sidecars such as the cluster.conf
		// writer running and ready), so kubectl shows 2/2 for a ready member, as on a real node.
		for _, other := range current.Spec.Containers {
			if other.Name != c.Name {
				current.Status.ContainerStatuses = append(current.Status.ContainerStatuses, runningStatus(other, *current.Status.StartTime))
			}
		}
		current.Status.InitContainerStatuses = initStatuses(current)
		return k.Client.Status().Update(ctx, current)
	})
	if err != nil {
		return fmt.Errorf("write status of pod %s: %w", pod.Name, err)
	}
	return nil
}

func runningStatus(c corev1.Container, at metav1.Time) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: "sim://" + c.Image, Ready: true, Started: ptr.To(true),
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: at}}}
}

func initStatuses(pod *corev1.Pod) []corev1.ContainerStatus {
	out := make([]corev1.ContainerStatus, 0, len(pod.Spec.InitContainers))
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			out = append(out, runningStatus(c, *pod.Status.StartTime))
			continue
		}
		out = append(out, corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: "sim://" + c.Image, Ready: true, Started: ptr.To(false),
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 0, Reason: "Completed", StartedAt: *pod.Status.StartTime, FinishedAt: *pod.Status.StartTime}}})
	}
	return out
}

// prepareConf does the prepare-conf init container's work: our properties and the current
// member list in the member's conf directory.
func prepareConf(home string, cm map[string]string) error {
	if err := os.MkdirAll(filepath.Join(home, "conf"), 0o755); err != nil {
		return fmt.Errorf("create conf dir: %w", err)
	}
	for _, key := range []string{resource.PropertiesKey, resource.ClusterConfKey} {
		if err := os.WriteFile(filepath.Join(home, "conf", key), []byte(cm[key]), 0o644); err != nil {
			return fmt.Errorf("seed %s: %w", key, err)
		}
	}
	return nil
}
