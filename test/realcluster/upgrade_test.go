package realcluster

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos"
	"github.com/nacos-operator/nacos-operator/test/harness"
	"github.com/nacos-operator/nacos-operator/test/harness/mariadb"
	"github.com/nacos-operator/nacos-operator/test/harness/realnacos"
)

// TestRealUpgradeOnMySQL: a 3-member 2.4.3 cluster on a real MySQL-compatible server
// (MariaDB, the 2.4.3 distribution's schema) reaches Ready; the database stopped turns it
// unready in Nacos's words and started again brings it back; 2.4.3 -> 2.5.1 waits for the
// schema the user applies, then rolls gated with the SDK client running; 2.5.1 -> 3.0.3
// (the same schema) rolls without asking. Nothing the client acknowledged is lost.
func TestRealUpgradeOnMySQL(t *testing.T) {
	needReal(t)
	ctx := t.Context()
	schema243 := schemaFile(t, "2.4.3")
	db, err := mariadb.Start(filepath.Join(t.TempDir(), "mysql"), runner.Net.HostIP(), 3306)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(db.Logs(4000))
		}
		_ = db.Close()
	})
	const dbPassword = "real-db-pw-243"
	if err := db.CreateDatabase("nacos", "nacos", dbPassword, schema243); err != nil {
		t.Fatal(err)
	}
	ns, err := env.CreateNamespace(ctx, "realdb")
	if err != nil {
		t.Fatal(err)
	}
	startOperator(t)
	covered.at("2.4.3 mysql")
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nacos-db"},
		StringData: map[string]string{"username": "nacos", "password": dbPassword}}
	if err := env.Client.Create(ctx, creds); err != nil {
		t.Fatal(err)
	}
	nc := sample(t, ns)
	nc.Spec.Version = "2.4.3"
	nc.Spec.Storage = nacosv1alpha1.StorageSpec{Type: nacosv1alpha1.StorageMySQL, MySQL: &nacosv1alpha1.MySQLSpec{
		Host: runner.Net.HostIP(), Port: 3306, Database: "nacos",
		Params:               "characterEncoding=utf8&connectTimeout=1000&socketTimeout=3000&autoReconnect=true&useSSL=false",
		CredentialsSecretRef: &nacosv1alpha1.CredentialsSecretRef{Name: creds.Name, UsernameKey: "username", PasswordKey: "password"},
	}}
	key := types.NamespacedName{Namespace: ns, Name: nc.Name}
	start := time.Now()
	if err := env.Client.Create(ctx, nc); err != nil {
		t.Fatal(err)
	}
	poll(t, 15*time.Minute, readyWith(key, 3))
	created := time.Since(start)
	t.Logf("2.4.3 on MySQL: Ready %.0f s after create", created.Seconds())
	writeMeasure("mysql create", fmt.Sprintf("2.4.3 on MariaDB Ready in %.0f s", created.Seconds()))

	t.Run("database stopped and started", func(t *testing.T) { databaseOutage(t, key, db, dbPassword) })
	if t.Failed() {
		return
	}
	t.Run("2.4.3 -> 2.5.1 waits for the schema, then rolls", func(t *testing.T) {
		before := incarnations(t, ns)
		patch(t, key, `{"spec":{"version":"2.5.1"}}`)
		held := poll(t, 2*time.Minute, heldFor(key, nacosv1alpha1.ReasonSchemaNotConfirmed))
		holds(t, "held upgrade restarts nothing", 20*time.Second, func(ctx context.Context) error {
			if now := incarnations(t, ns); !maps.Equal(now, before) {
				return fmt.Errorf("members restarted while the schema was not confirmed: %v -> %v", before, now)
			}
			return nil
		})
		changes, err := db.UpgradeSchema("nacos", schemaFile(t, "2.5.1"))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("held %.0f s; schema brought to 2.5.1: %s", held.Seconds(), strings.Join(changes, "; "))
		upgradeWithClient(t, key, "2.4.3", "2.5.1", sdkLogin{}, false, func() {
			patch(t, key, fmt.Sprintf(`{"metadata":{"annotations":{%q:"2.5.1"}}}`, nacosv1alpha1.AnnotationSchemaConfirmed))
		})
	})
	if t.Failed() {
		return
	}
	t.Run("2.5.1 -> 3.0.3 on the same schema", func(t *testing.T) {
		upgradeWithClient(t, key, "2.5.1", "3.0.3", sdkLogin{}, false, func() { patch(t, key, `{"spec":{"version":"3.0.3"}}`) })
	})
}

// databaseOutage stops the database under a Ready cluster, checks what the members and the
// operator say, and starts it again. The password never shows in status or Events.
func databaseOutage(t *testing.T, key types.NamespacedName, db *mariadb.Server, password string) {
	if err := db.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	var seen string
	poll(t, 3*time.Minute, func(ctx context.Context) error {
		nc, err := get(ctx, key)
		if err != nil {
			return err
		}
		c := cond(nc, nacosv1alpha1.ConditionReady)
		seen = fmt.Sprintf("Ready: %s %s; members: %s", c.Reason, c.Message, memberMessages(nc))
		if c.Status != string(metav1.ConditionFalse) {
			return fmt.Errorf("Ready %s with the database stopped", c.Status)
		}
		// The true cause first on every member, naming the database, and no false alarm.
		for _, m := range nc.Status.Members {
			if len(m.Diagnosis) == 0 || m.Diagnosis[0].Code != nacosv1alpha1.DiagDatabaseUnreachable || !strings.Contains(m.Diagnosis[0].Message, db.Host) {
				return fmt.Errorf("%s: diagnosis %+v", m.Name, m.Diagnosis)
			}
			for _, f := range m.Diagnosis {
				if f.Code == nacosv1alpha1.DiagUnreachable || f.Code == nacosv1alpha1.DiagColdStart {
					return fmt.Errorf("%s: a false finding with the database down: %+v", m.Name, f)
				}
			}
		}
		return nil
	})
	unready := time.Since(stopped)
	t.Logf("database stopped: unready after %.0f s: %s", unready.Seconds(), seen)
	if err := db.Resume(); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	poll(t, 5*time.Minute, readyWith(key, 3))
	t.Logf("database started: Ready again after %.0f s", time.Since(resumed).Seconds())
	writeMeasure("mysql outage", fmt.Sprintf("unready %.0f s after the stop; Ready %.0f s after the start; %s", unready.Seconds(), time.Since(resumed).Seconds(), seen))
	nc, err := get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprintf("%+v", nc.Status); strings.Contains(s, password) {
		t.Fatal("the database password appears in status")
	}
	for _, reason := range []string{nacosv1alpha1.ConditionDegraded, nacosv1alpha1.ConditionDistroInitialized} {
		for _, n := range eventNotes(t, key.Namespace, reason) {
			if strings.Contains(n, password) {
				t.Fatalf("the database password appears in an Event: %s", n)
			}
		}
	}
}

// clientGapBound is the longest a client may go without a good read during an upgrade
// (docs/benchmarks.md): one member restarting at a time, the client Service sending new
// connections to Ready members only, the SDK retrying on another server.
const clientGapBound = 15 * time.Second

// upgradeWithClient runs the SDK client while start() sets off the upgrade from -> to, waits
// for every member to run to, and checks the gates held and nothing the client wrote was lost.
func upgradeWithClient(t *testing.T, key types.NamespacedName, from, to string, login sdkLogin, freezeConfigs bool, start func()) {
	t.Helper()
	load := startClient(t, key, clientServiceIP, login)
	if freezeConfigs {
		load.freezeConfigs(t)
	}
	access := memberAccessWith(key.Namespace, 0, func() nacos.Auth { return identityOf(key.Namespace) })
	rec := harness.StartRecorder(t, env.Config, key.Namespace, 3, access)
	before := revision(t, key)
	began := time.Now()
	start()
	newRevision(t, key, before)
	poll(t, 25*time.Minute, upgradedTo(key, to))
	took := time.Since(began)
	deletions := checkRollout(t, rec, 3)
	numbers := load.report(t, key)
	if load.longestGap > clientGapBound {
		t.Errorf("the client went %.1f s without a good read, over the %s bound (docs/benchmarks.md)", load.longestGap.Seconds(), clientGapBound)
	}
	t.Logf("%s -> %s: %v in %.0f s; client: %s", from, to, deletions, took.Seconds(), numbers)
	writeMeasure("upgrade "+from+" -> "+to, fmt.Sprintf("%v in %.0f s; client: %s", deletions, took.Seconds(), numbers))
	if want := fmt.Sprintf("Every member runs %s (upgraded from %s)", to, from); !contains(eventNotes(t, key.Namespace, nacosv1alpha1.EventUpgradeCompleted), want) {
		t.Errorf("no UpgradeCompleted Event %q", want)
	}
}

// heldFor: Progressing False for reason with status.upgrade in that state, nothing rendered.
func heldFor(key types.NamespacedName, reason string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		nc, err := get(ctx, key)
		if err != nil {
			return err
		}
		c := cond(nc, nacosv1alpha1.ConditionProgressing)
		if c.Status != string(metav1.ConditionFalse) || c.Reason != reason || nc.Status.Upgrade == nil || string(nc.Status.Upgrade.State) != reason {
			return fmt.Errorf("Progressing %s %s: %s; upgrade %+v", c.Status, c.Reason, c.Message, nc.Status.Upgrade)
		}
		return nil
	}
}

// upgradedTo: rolled out, every member reports to, status.upgrade gone.
func upgradedTo(key types.NamespacedName, to string) func(ctx context.Context) error {
	out := rolledOut(key, 3)
	return func(ctx context.Context) error {
		if err := out(ctx); err != nil {
			return err
		}
		nc, err := get(ctx, key)
		if err != nil {
			return err
		}
		for _, m := range nc.Status.Members {
			if m.Version != to {
				return fmt.Errorf("%s runs %s", m.Name, m.Version)
			}
		}
		if nc.Status.Upgrade != nil {
			return fmt.Errorf("status.upgrade %+v", nc.Status.Upgrade)
		}
		return nil
	}
}

// identityOf is the server identity in the operator's auth Secret, once it exists.
func identityOf(ns string) nacos.Auth {
	secret := &corev1.Secret{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "nacos-auth"}, secret); err != nil {
		return nacos.Auth{}
	}
	return nacos.Auth{IdentityKey: string(secret.Data[nacosv1alpha1.AuthSecretIdentityKeyKey]), IdentityValue: string(secret.Data[nacosv1alpha1.AuthSecretIdentityValueKey])}
}

func memberMessages(nc *nacosv1alpha1.NacosCluster) string {
	var out []string
	for _, m := range nc.Status.Members {
		out = append(out, fmt.Sprintf("%s %s %q diagnosis %+v", m.Name, m.Health, m.Message, m.Diagnosis))
	}
	return strings.Join(out, "; ")
}

func schemaFile(t *testing.T, version string) string {
	t.Helper()
	dir, err := realnacos.ServerDir(version)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "conf", "mysql-schema.sql")
}

func contains(notes []string, want string) bool {
	for _, n := range notes {
		if n == want {
			return true
		}
	}
	return false
}
