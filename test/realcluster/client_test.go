package realcluster

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/clients"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/config_client"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/naming_client"
	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nacos-operator/nacos-operator/test/harness"
)

// A real Nacos client that none of us wrote (the Go SDK, nacos-group/nacos-sdk-go/v2) runs
// through a rollout against the client Service (harness.ServiceProxy, the stand-in for
// kube-proxy): it keeps registering instances and publishing configs, and reads a config
// every half second. What it measures is what "zero downtime" means to a user.

const (
	clientGroup   = "DEFAULT_GROUP"
	clientService = "real-client-demo"
)

// clientLoad is the SDK client's running record.
type clientLoad struct {
	naming naming_client.INamingClient
	config config_client.IConfigClient
	stop   context.CancelFunc
	done   sync.WaitGroup

	mu          sync.Mutex
	calls, fail int
	failures    map[string]int // by operation and error text (trimmed)
	lastOK      time.Time
	longestGap  time.Duration
	instances   map[string]int    // service -> port registered, each acknowledged
	configs     map[string]string // dataId -> content published, each acknowledged
	lastPublish string
	login       sdkLogin
	// The subscription: a watched service with one instance, and what the SDK pushed.
	pushes      int
	watchedSeen bool // the last push listed the watched instance
	frozen      bool // config writes paused (docs/design/upgrades.md: a 3.0 upgrade on embedded storage)
}

// watchedService is the service the client subscribes to; watchedPort its one instance.
const (
	watchedService = clientService + "-watched"
	watchedPort    = 19999
)

// sdkLogin is the user the SDK logs in as when Nacos auth is on (empty: auth off).
type sdkLogin struct{ user, password string }

// startClient starts the SDK client against the cluster's Service address ip and its load.
func startClient(t *testing.T, key types.NamespacedName, ip string, login ...sdkLogin) *clientLoad {
	t.Helper()
	proxy := &harness.ServiceProxy{Client: env.Client, Namespace: key.Namespace, Cluster: key.Name, IP: ip, Ports: []int{8848, 9848}}
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var as sdkLogin
	if len(login) > 0 {
		as = login[0]
	}
	sc := []constant.ServerConfig{*constant.NewServerConfig(ip, 8848, constant.WithContextPath("/nacos"))}
	param := vo.NacosClientParam{ClientConfig: sdkConfig(dir, as), ServerConfigs: sc}
	naming, err := clients.NewNamingClient(param)
	if err != nil {
		t.Fatalf("SDK naming client: %v", err)
	}
	config, err := clients.NewConfigClient(param)
	if err != nil {
		t.Fatalf("SDK config client: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &clientLoad{naming: naming, config: config, stop: cancel, failures: map[string]int{}, configs: map[string]string{}, instances: map[string]int{}, lastOK: time.Now(), login: as}
	t.Cleanup(func() {
		l.halt()
		naming.CloseClient()
		config.CloseClient()
		proxy.Stop()
		_ = os.RemoveAll(dir)
	})
	l.subscribe(t)
	l.done.Add(2)
	go l.writes(ctx)
	go l.reads(ctx)
	return l
}

func (l *clientLoad) halt() { l.stop(); l.done.Wait() }

// subscribe registers the watched instance and subscribes to its service: through the
// rollout the SDK must keep (or re-establish) the subscription, and its last push must still
// list the instance.
func (l *clientLoad) subscribe(t *testing.T) {
	t.Helper()
	if ok, err := l.naming.RegisterInstance(vo.RegisterInstanceParam{Ip: "10.250.0.2", Port: watchedPort, ServiceName: watchedService,
		Weight: 1, Enable: true, Healthy: true, Ephemeral: true}); err != nil || !ok {
		t.Fatalf("register the watched instance: %v %v", ok, err)
	}
	err := l.naming.Subscribe(&vo.SubscribeParam{ServiceName: watchedService, SubscribeCallback: func(services []model.Instance, err error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.pushes++
		l.watchedSeen = err == nil && slices.ContainsFunc(services, func(in model.Instance) bool { return in.Port == watchedPort })
	}})
	if err != nil {
		t.Fatalf("subscribe to %s: %v", watchedService, err)
	}
}

func (l *clientLoad) record(op string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if err != nil {
		l.fail++
		msg := err.Error()
		if len(msg) > 80 {
			msg = msg[:80]
		}
		l.failures[op+": "+msg]++
	}
}

// writes registers an instance of a new service and publishes a new config every 2 s; only
// acknowledged writes count, and every one must survive. One service each: a gRPC client
// holds one instance per service (a second registration replaces the first, and the SDK
// re-registers only the last after a reconnect).
func (l *clientLoad) writes(ctx context.Context) {
	defer l.done.Done()
	for i := 0; ctx.Err() == nil; i++ {
		service, port := fmt.Sprintf("%s-%d", clientService, i), 20000+i
		ok, err := l.naming.RegisterInstance(vo.RegisterInstanceParam{Ip: "10.250.0.1", Port: uint64(port), ServiceName: service,
			Weight: 1, Enable: true, Healthy: true, Ephemeral: true})
		if err == nil && !ok {
			err = fmt.Errorf("register answered false")
		}
		l.record("register", err)
		l.mu.Lock()
		frozen := l.frozen
		l.mu.Unlock()
		dataID, content := fmt.Sprintf("real-client-%d", i), fmt.Sprintf("value-%d-%d", i, time.Now().UnixNano())
		perr := errFrozen
		if !frozen {
			perr = l.publish(dataID, content)
		}
		l.mu.Lock()
		if err == nil {
			l.instances[service] = port
		}
		if perr == nil {
			l.configs[dataID], l.lastPublish = content, dataID
		}
		l.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

var errFrozen = fmt.Errorf("config writes paused")

func (l *clientLoad) publish(dataID, content string) error {
	ok, err := l.config.PublishConfig(vo.ConfigParam{DataId: dataID, Group: clientGroup, Content: content})
	if err == nil && !ok {
		err = fmt.Errorf("publish answered false")
	}
	l.record("publish", err)
	return err
}

// freezeConfigs stops config publishes (registrations, subscription and reads go on) after
// one last publish that the reads keep reading; it is what docs/design/upgrades.md tells
// users to do for a 2.x -> 3.x upgrade on embedded storage.
func (l *clientLoad) freezeConfigs(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	l.frozen = true
	l.mu.Unlock()
	dataID, content := "real-client-frozen", fmt.Sprintf("frozen-%d", time.Now().UnixNano())
	if err := l.publish(dataID, content); err != nil {
		t.Fatalf("publish before the freeze: %v", err)
	}
	l.mu.Lock()
	l.configs[dataID], l.lastPublish = content, dataID
	l.mu.Unlock()
}

// reads reads the newest published config every 500 ms; the longest time without a
// successful read that returned the published content is the gap users feel.
func (l *clientLoad) reads(ctx context.Context) {
	defer l.done.Done()
	for ctx.Err() == nil {
		l.mu.Lock()
		dataID := l.lastPublish
		want := l.configs[dataID]
		l.mu.Unlock()
		if dataID != "" {
			got, err := l.config.GetConfig(vo.ConfigParam{DataId: dataID, Group: clientGroup})
			if err == nil && got != want {
				err = fmt.Errorf("read %q, want %q", got, want)
			}
			l.record("read", err)
			now := time.Now()
			l.mu.Lock()
			if gap := now.Sub(l.lastOK); gap > l.longestGap {
				l.longestGap = gap
			}
			if err == nil {
				l.lastOK = now
			}
			l.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// report stops the load, checks that every acknowledged instance and config is on every
// member, asked one by one with an SDK client of its own (what a client of that member
// would read), and returns the numbers.
func (l *clientLoad) report(t *testing.T, key types.NamespacedName) string {
	t.Helper()
	l.halt()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.instances) == 0 || len(l.configs) == 0 {
		t.Fatalf("the client wrote nothing (%d calls, failures %v)", l.calls, l.failures)
	}
	var lostInstances, lostConfigs int
	halted := time.Now()
	var converged time.Duration
	for _, p := range pods(t.Context(), key.Namespace) {
		naming, config := memberClients(t, p.Status.PodIP, l.login)
		var services, dataIDs []string
		// A member catches up by itself (a config published while it restarted reaches it by
		// its dump of changes), so what counts is whether, and when, it has everything.
		err := harness.Eventually(t.Context(), 2*time.Minute, func(context.Context) (bool, error) {
			services, dataIDs = missingOn(naming, config, l.instances, l.configs)
			return len(services)+len(dataIDs) == 0, nil
		})
		if err != nil {
			t.Errorf("%s still lacks %d of %d instances %v and %d of %d configs %v two minutes after the load stopped",
				p.Name, len(services), len(l.instances), services, len(dataIDs), len(l.configs), dataIDs)
		}
		converged = max(converged, time.Since(halted))
		lostInstances, lostConfigs = max(lostInstances, len(services)), max(lostConfigs, len(dataIDs))
	}
	if l.pushes == 0 || !l.watchedSeen {
		t.Errorf("subscription to %s: %d pushes, the last one listing its instance: %v", watchedService, l.pushes, l.watchedSeen)
	}
	paused := ""
	if l.frozen {
		paused = "config writes paused; "
	}
	return paused + fmt.Sprintf("%d calls, %d failed %v, longest read gap %.1f s, %d instances and %d configs written, every member had all of them %.1f s after the load stopped, lost %d and %d; subscription: %d pushes, the last listing its instance: %v",
		l.calls, l.fail, l.failures, l.longestGap.Seconds(), len(l.instances), len(l.configs), converged.Seconds(), lostInstances, lostConfigs, l.pushes, l.watchedSeen)
}

// missingOn lists the acknowledged instances and configs a member's own clients do not read.
func missingOn(naming naming_client.INamingClient, config config_client.IConfigClient, instances map[string]int, configs map[string]string) (services, dataIDs []string) {
	for service, port := range instances {
		list, err := naming.SelectAllInstances(vo.SelectAllInstancesParam{ServiceName: service})
		if err != nil || !slices.ContainsFunc(list, func(in model.Instance) bool { return in.Port == uint64(port) }) {
			services = append(services, service)
		}
	}
	for dataID, content := range configs {
		if got, err := config.GetConfig(vo.ConfigParam{DataId: dataID, Group: clientGroup}); err != nil || got != content {
			dataIDs = append(dataIDs, dataID)
		}
	}
	sort.Strings(services)
	sort.Strings(dataIDs)
	return services, dataIDs
}

// memberClients are SDK clients of one member only, closed when the test ends.
func memberClients(t *testing.T, ip string, login sdkLogin) (naming_client.INamingClient, config_client.IConfigClient) {
	t.Helper()
	dir := t.TempDir()
	param := vo.NacosClientParam{ClientConfig: sdkConfig(dir, login), ServerConfigs: []constant.ServerConfig{*constant.NewServerConfig(ip, 8848, constant.WithContextPath("/nacos"))}}
	naming, err := clients.NewNamingClient(param)
	if err != nil {
		t.Fatalf("SDK naming client of %s: %v", ip, err)
	}
	config, err := clients.NewConfigClient(param)
	if err != nil {
		t.Fatalf("SDK config client of %s: %v", ip, err)
	}
	t.Cleanup(func() { naming.CloseClient(); config.CloseClient() })
	return naming, config
}

// sdkConfig reads from the server every time: no snapshot, no cache at start.
func sdkConfig(dir string, login sdkLogin) *constant.ClientConfig {
	return constant.NewClientConfig(constant.WithTimeoutMs(3000), constant.WithNotLoadCacheAtStart(true),
		constant.WithDisableUseSnapShot(true), constant.WithUpdateCacheWhenEmpty(false),
		constant.WithLogDir(dir), constant.WithCacheDir(dir), constant.WithLogLevel("error"),
		constant.WithUsername(login.user), constant.WithPassword(login.password))
}
