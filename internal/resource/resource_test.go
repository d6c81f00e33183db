package resource

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sample returns a NacosCluster as the API server would store it (defaults applied).
func sample(mutate ...func(*nacosv1alpha1.NacosCluster)) *nacosv1alpha1.NacosCluster {
	nc := &nacosv1alpha1.NacosCluster{ObjectMeta: metav1.ObjectMeta{Name: "nacos", Namespace: "demo", UID: "uid-1"}}
	s := &nc.Spec
	s.Version, s.Mode, s.Replicas, s.ClusterDomain = "2.5.1", nacosv1alpha1.ModeCluster, 3, "cluster.local"
	s.ImagePullPolicy = "IfNotPresent"
	s.Storage.Type = nacosv1alpha1.StorageEmbedded
	s.Persistence = nacosv1alpha1.PersistenceSpec{Size: resource.MustParse("10Gi"), WhenScaled: nacosv1alpha1.PVCRetain, WhenDeleted: nacosv1alpha1.PVCRetain}
	s.Service.Type = "ClusterIP"
	s.Pod.TerminationGracePeriodSeconds = ptr.To[int64](60)
	for _, m := range mutate {
		m(nc)
	}
	return nc
}

func mysqlAuth3x(nc *nacosv1alpha1.NacosCluster) {
	nc.Name = "nacos-prod"
	nc.Spec.Version = "3.0.3"
	nc.Spec.Storage = nacosv1alpha1.StorageSpec{Type: nacosv1alpha1.StorageMySQL, MySQL: &nacosv1alpha1.MySQLSpec{
		Host: "mysql.db", Port: 3306, Database: "nacos", Params: "useSSL=false",
		CredentialsSecretRef: &nacosv1alpha1.CredentialsSecretRef{Name: "nacos-mysql", UsernameKey: "username", PasswordKey: "password"},
	}}
	nc.Spec.Auth = nacosv1alpha1.AuthSpec{Enabled: true, SecretName: "nacos-auth"}
	heap := resource.MustParse("1Gi")
	nc.Spec.Config.JVM = nacosv1alpha1.JVMSpec{Heap: &heap, Options: []string{"-XX:+UseG1GC"}}
	nc.Spec.Config.Properties = map[string]nacosv1alpha1.PropertyValue{"nacos.core.protocol.distro.data.load.retryDelayMs": "10000"}
}

func standalone(nc *nacosv1alpha1.NacosCluster) {
	nc.Name, nc.Spec.Mode, nc.Spec.Replicas = "nacos-dev", nacosv1alpha1.ModeStandalone, 1
}

// all renders every owned object of a NacosCluster.
func all(nc *nacosv1alpha1.NacosCluster) []runtime.Object {
	props := ApplicationProperties(nc)
	return []runtime.Object{
		ConfigMap(nc, nc.Spec.Replicas), HeadlessService(nc), ClientService(nc), PodDisruptionBudget(nc),
		StatefulSet(nc, Inputs{Replicas: nc.Spec.Replicas, ConfigHash: ConfigHash(props), WriterImage: "nacos-operator:test"}),
	}
}

func TestGoldenObjects(t *testing.T) {
	for name, nc := range map[string]*nacosv1alpha1.NacosCluster{
		"cluster-2.5":    sample(),
		"standalone":     sample(standalone),
		"mysql-auth-3.0": sample(mysqlAuth3x),
	} {
		t.Run(name, func(t *testing.T) {
			var docs []string
			for _, obj := range all(nc) {
				b, err := yaml.Marshal(obj)
				if err != nil {
					t.Fatal(err)
				}
				docs = append(docs, string(b))
			}
			got := strings.Join(docs, "---\n")
			path := filepath.Join("testdata", name+".golden.yaml")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/resource -update to create it)", err)
			}
			if got != string(want) {
				t.Fatalf("rendered objects differ from %s; if intended, rerun with -update and review the diff", path)
			}
		})
	}
}

func TestScalingDoesNotTouchThePodTemplate(t *testing.T) {
	nc := sample()
	props := ApplicationProperties(nc)
	three := StatefulSet(nc, Inputs{Replicas: 3, ConfigHash: ConfigHash(props)})
	nc5 := sample(func(nc *nacosv1alpha1.NacosCluster) { nc.Spec.Replicas = 5 })
	five := StatefulSet(nc5, Inputs{Replicas: 5, ConfigHash: ConfigHash(ApplicationProperties(nc5))})
	if !reflect.DeepEqual(three.Spec.Template, five.Spec.Template) {
		t.Fatal("changing replicas changed the pod template: every member would restart on scale")
	}
	if ConfigMap(nc, 3).Data[ClusterConfKey] == ConfigMap(nc5, 5).Data[ClusterConfKey] {
		t.Fatal("cluster.conf did not change with replicas")
	}
	for _, e := range three.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "NACOS_SERVERS" {
			t.Fatal("NACOS_SERVERS puts the member list in the pod template")
		}
	}
}

func TestConfigChangeChangesTheHash(t *testing.T) {
	base := ConfigHash(ApplicationProperties(sample()))
	changed := ConfigHash(ApplicationProperties(sample(func(nc *nacosv1alpha1.NacosCluster) {
		nc.Spec.Config.Properties = map[string]nacosv1alpha1.PropertyValue{"nacos.naming.expireInstance": "false"}
	})))
	scaled := ConfigHash(ApplicationProperties(sample(func(nc *nacosv1alpha1.NacosCluster) { nc.Spec.Replicas = 7 })))
	if base == changed {
		t.Error("a properties change kept the config hash")
	}
	if base != scaled {
		t.Error("a replicas change moved the config hash")
	}
}

func TestPropertiesForceWarmupAndKeepSecretsOut(t *testing.T) {
	p := ApplicationProperties(sample(mysqlAuth3x))
	for _, want := range []string{"nacos.naming.data.warmup=true\n", "db.password.0=${MYSQL_SERVICE_PASSWORD}\n",
		"nacos.core.auth.plugin.nacos.token.secret.key=${NACOS_AUTH_TOKEN}\n", "db.url.0=jdbc:mysql://mysql.db:3306/nacos?useSSL=false\n",
		"nacos.core.protocol.distro.data.load.retryDelayMs=10000\n", "nacos.deployment.type=merged\n"} {
		if !strings.Contains(p, want) {
			t.Errorf("application.properties lacks %q", want)
		}
	}
	inj := ApplicationProperties(sample(func(nc *nacosv1alpha1.NacosCluster) {
		nc.Spec.Config.Properties = map[string]nacosv1alpha1.PropertyValue{"x": "1\ninjected=yes"}
	}))
	if strings.Contains(inj, "\ninjected=yes") || !strings.Contains(inj, "x=1\\ninjected=yes\n") {
		t.Fatal("a newline in a property value injected another property")
	}
}

func TestMemberAddressesAreTheHostnameModeFQDNs(t *testing.T) {
	got := MemberAddresses(sample(), 3)
	want := []string{
		"nacos-0.nacos-headless.demo.svc.cluster.local:8848",
		"nacos-1.nacos-headless.demo.svc.cluster.local:8848",
		"nacos-2.nacos-headless.demo.svc.cluster.local:8848",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v", got)
	}
}

func FuzzClusterConfRoundTrip(f *testing.F) {
	f.Add("a:1,b:2,a:1", "")
	f.Add("nacos-0.h.ns.svc.cluster.local:8848", "#2026-01-01T00:00:00\nx:1\n")
	f.Fuzz(func(t *testing.T, joined, nacosText string) {
		var addrs []string
		for _, a := range strings.Split(joined, ",") {
			if a != "" && strings.Contains(a, ":") && !strings.ContainsAny(a, " \t\r\n#,") {
				addrs = append(addrs, a)
			}
		}
		text := RenderClusterConf(addrs)
		if RenderClusterConf(slices.Clone(addrs)) != text {
			t.Fatal("not deterministic")
		}
		back, err := ParseMemberSet(text)
		if err != nil || !slices.Equal(back, MemberSet(addrs)) {
			t.Fatalf("round trip %q -> %q (%v)", addrs, back, err)
		}
		if !slices.IsSorted(back) || len(slices.Compact(slices.Clone(back))) != len(back) {
			t.Fatalf("not a sorted set: %q", back)
		}
		_, _ = ParseMemberSet(nacosText) // any text: no panic
	})
}

func TestAuthSecretOnlyWhereNacosNeedsIt(t *testing.T) {
	cases := []struct {
		name string
		nc   *nacosv1alpha1.NacosCluster
		want bool
	}{
		{"2.x without auth", sample(), false},
		{"2.x with auth", sample(func(nc *nacosv1alpha1.NacosCluster) { nc.Spec.Auth.Enabled = true }), true},
		{"3.x without auth: the image refuses to start without identity", sample(func(nc *nacosv1alpha1.NacosCluster) { nc.Spec.Version = "3.0.3" }), true},
		{"2.x with a named Secret", sample(func(nc *nacosv1alpha1.NacosCluster) { nc.Spec.Auth.SecretName = "mine" }), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]bool{}
			sts := StatefulSet(tc.nc, Inputs{Replicas: 3})
			for _, e := range sts.Spec.Template.Spec.Containers[0].Env {
				env[e.Name] = true
			}
			props := ApplicationProperties(tc.nc)
			if UsesAuthSecret(tc.nc) != tc.want || env["NACOS_AUTH_IDENTITY_VALUE"] != tc.want ||
				strings.Contains(props, "${NACOS_AUTH_TOKEN}") != tc.want {
				t.Fatalf("uses=%v env=%v props=%v, want %v", UsesAuthSecret(tc.nc), env["NACOS_AUTH_IDENTITY_VALUE"], strings.Contains(props, "${NACOS_AUTH_TOKEN}"), tc.want)
			}
		})
	}
}

// The image's docker-startup.sh is the contract: facts learned running it on real members.
func TestEnvFollowsTheImageStartScript(t *testing.T) {
	nc := sample(func(nc *nacosv1alpha1.NacosCluster) {
		heap := resource.MustParse("256Mi")
		nc.Spec.Config.JVM = nacosv1alpha1.JVMSpec{Heap: &heap, Options: []string{"-XX:+UseG1GC", "-Dx=y"}}
	})
	env := map[string]string{}
	for _, e := range StatefulSet(nc, Inputs{Replicas: 3}).Spec.Template.Spec.Containers[0].Env {
		env[e.Name] = e.Value
	}
	// JAVA_OPT_EXT lands after -jar: the JVM would never see the options.
	if env["JAVA_OPT"] != "-XX:+UseG1GC -Dx=y" || env["JAVA_OPT_EXT"] != "" {
		t.Errorf("JVM options: JAVA_OPT=%q JAVA_OPT_EXT=%q, want them in JAVA_OPT only", env["JAVA_OPT"], env["JAVA_OPT_EXT"])
	}
	// The image's JVM_XMN (512m) does not fit a 256m heap.
	if env["JVM_XMS"] != "256m" || env["JVM_XMX"] != "256m" || env["JVM_XMN"] != "128m" {
		t.Errorf("heap env: XMS=%q XMX=%q XMN=%q, want 256m 256m 128m", env["JVM_XMS"], env["JVM_XMX"], env["JVM_XMN"])
	}
	// Our properties replace the image's: its Derby/Hikari pool timeout (30 s) must survive,
	// or a busy node fails embedded storage with "Login timeout exceeded" (code default 3 s).
	if p := ApplicationProperties(nc); !strings.Contains(p, "db.pool.config.connectionTimeout=30000\n") {
		t.Errorf("application.properties lacks the image's pool timeout:\n%s", p)
	}
}

// 3.x gives each web context its own server.port; a global one makes the console bind the
// main port (real 3.0.3: "Port 8848 is already in use").
func TestPropertiesLeaveServerPortToEach3xContext(t *testing.T) {
	v3 := ApplicationProperties(sample(func(nc *nacosv1alpha1.NacosCluster) { nc.Spec.Version = "3.0.3" }))
	for _, bad := range []string{"\nserver.port=", "\nserver.servlet.contextPath="} {
		if strings.Contains(v3, bad) {
			t.Errorf("3.x properties set %q:\n%s", strings.TrimPrefix(bad, "\n"), v3)
		}
	}
	for _, want := range []string{"nacos.server.main.port=8848\n", "nacos.server.contextPath=/nacos\n", "nacos.console.port=8080\n"} {
		if !strings.Contains(v3, want) {
			t.Errorf("3.x properties lack %q", want)
		}
	}
	if v2 := ApplicationProperties(sample()); !strings.Contains(v2, "\nserver.port=8848\n") || !strings.Contains(v2, "\nserver.servlet.contextPath=/nacos\n") {
		t.Errorf("2.x properties lack server.port or the context path:\n%s", v2)
	}
}

// The startup probe allows spec.pod.startupTimeout in whole 10s periods (rounded up), and
// the measured cold start of an embedded cluster (over 4 minutes under load) by default.
func TestStartupProbeFollowsStartupTimeout(t *testing.T) {
	for _, tc := range []struct {
		timeout *metav1.Duration
		want    int32
	}{
		{nil, 60},
		{&metav1.Duration{Duration: 95 * time.Second}, 10},
		{&metav1.Duration{Duration: time.Hour}, 360},
	} {
		nc := sample(func(nc *nacosv1alpha1.NacosCluster) { nc.Spec.Pod.StartupTimeout = tc.timeout })
		p := nacosContainer(nc).StartupProbe
		if p.PeriodSeconds != 10 || p.FailureThreshold != tc.want || p.HTTPGet.Path != LivenessPath(nc) {
			t.Errorf("startupTimeout %v: period %d x %d on %s, want 10 x %d on %s", tc.timeout, p.PeriodSeconds, p.FailureThreshold, p.HTTPGet.Path, tc.want, LivenessPath(nc))
		}
	}
}
