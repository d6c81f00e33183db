package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// ServiceProxy stands in for kube-proxy in front of a NacosCluster's client Service: it
// listens on one address (a ClusterIP) for each port and sends each new connection to a
// Ready member pod, round robin, as the Service's endpoints would. Pod IPs change with every
// restart here, so a client outside the pods needs this one stable address, like a client
// in a real cluster. A connection lives as long as both ends do; a restarted member drops
// its connections, and clients reconnect through the proxy to a Ready member.
type ServiceProxy struct {
	Client    client.Client
	Namespace string
	Cluster   string // the NacosCluster whose member pods are the endpoints
	IP        string // the address to listen on, e.g. 127.0.0.50
	Ports     []int  // e.g. 8848 and 9848 (Nacos's gRPC port, 8848 + 1000)

	next      atomic.Uint64
	listeners []net.Listener
	wg        sync.WaitGroup
	cancel    context.CancelFunc
}

// Start listens on every port until Stop.
func (p *ServiceProxy) Start() error {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	for _, port := range p.Ports {
		l, err := net.Listen("tcp", net.JoinHostPort(p.IP, strconv.Itoa(port)))
		if err != nil {
			p.Stop()
			return fmt.Errorf("service proxy: %w", err)
		}
		p.listeners = append(p.listeners, l)
		p.wg.Add(1)
		go p.serve(ctx, l, port)
	}
	return nil
}

// Stop closes the listeners and every proxied connection.
func (p *ServiceProxy) Stop() {
	if p.cancel != nil {
		p.cancel()
	}
	for _, l := range p.listeners {
		_ = l.Close()
	}
	p.wg.Wait()
}

func (p *ServiceProxy) serve(ctx context.Context, l net.Listener, port int) {
	defer p.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.forward(ctx, c, port)
		}()
	}
}

// forward connects c to a Ready member on port; no Ready member closes c, as a Service
// without endpoints refuses.
func (p *ServiceProxy) forward(ctx context.Context, c net.Conn, port int) {
	defer func() { _ = c.Close() }()
	ip, err := p.endpoint(ctx)
	if err != nil {
		return
	}
	var d net.Dialer
	up, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return
	}
	defer func() { _ = up.Close() }()
	stop := context.AfterFunc(ctx, func() { _ = c.Close(); _ = up.Close() })
	defer stop()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done // either side closed: close both
}

// endpoint picks the next Ready, not terminating member pod IP.
func (p *ServiceProxy) endpoint(ctx context.Context) (string, error) {
	pods := &corev1.PodList{}
	if err := p.Client.List(ctx, pods, client.InNamespace(p.Namespace),
		client.MatchingLabels{nacosv1alpha1.LabelName: nacosv1alpha1.LabelNameValue, nacosv1alpha1.LabelInstance: p.Cluster}); err != nil {
		return "", fmt.Errorf("list member pods: %w", err)
	}
	var ready []string
	for i := range pods.Items {
		if pod := &pods.Items[i]; PodReady(pod) && pod.DeletionTimestamp == nil && pod.Status.PodIP != "" {
			ready = append(ready, pod.Status.PodIP)
		}
	}
	if len(ready) == 0 {
		return "", errors.New("no Ready member")
	}
	return ready[int(p.next.Add(1)%uint64(len(ready)))], nil
}
