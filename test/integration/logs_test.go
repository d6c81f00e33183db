package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The operator's logs, at V(1), through a create with auth, an admin Secret and MySQL
// credentials, then an image rollout: every line of the controller names its nacoscluster,
// controller-runtime's own error lines included, actions name their member, waits their
// gate at V(1), and no secret value appears.
func TestLogsCarryFixedKeysAndNoSecret(t *testing.T) {
	buf := &syncBuffer{}
	logger := zap.New(zap.WriteTo(buf), zap.Level(zapcore.DebugLevel))
	_, stop := runOperatorWith(t, operatorOptions{logger: &logger})
	t.Cleanup(stop)
	ns := namespace(t)
	ctx := context.Background()
	const adminPassword, dbPassword = "admin-pw-7c1e9a", "mysql-pw-52d0b4"
	createCredentials(t, ns, adminPassword, dbPassword)
	key := sizedCluster(t, ns, 3, "storage: {type: mysql, mysql: {host: mysql.db, credentialsSecretRef: {name: mysql-creds}}}",
		"auth: {enabled: true, adminCredentialsSecretRef: {name: nacos-admin}}")
	image := "nacos/nacos-server:v2.5.1-slim"
	setImage(t, key, image)
	rolledOut(t, key, 3, image)
	stop()
	generated := &corev1.Secret{}
	nc := &nacosv1alpha1.NacosCluster{}
	if err := env.Client.Get(ctx, key, nc); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: resource.AuthSecretName(nc)}, generated); err != nil {
		t.Fatal(err)
	}
	logs := buf.String()
	secrets := []string{adminPassword, dbPassword}
	for _, v := range generated.Data {
		secrets = append(secrets, string(v))
	}
	for _, s := range secrets {
		if len(s) >= 8 && strings.Contains(logs, s) {
			t.Fatalf("a secret value (%d bytes) appears in the operator's logs", len(s))
		}
	}
	restarts, waits := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		entry := map[string]any{}
		// Lines of a pass (a reconcileID), not the controller's start and stop.
		if err := json.Unmarshal([]byte(line), &entry); err != nil || entry["controller"] != "nacoscluster" || entry["reconcileID"] == nil {
			continue
		}
		if entry["nacoscluster"] != ns+"/"+key.Name {
			t.Errorf("a controller log line without nacoscluster=%s/%s: %s", ns, key.Name, line)
		}
		switch entry["msg"] {
		case "restarting member":
			restarts++
			if entry["member"] == nil || entry["level"] != "info" {
				t.Errorf("a restart logged without its member at info: %s", line)
			}
		case "rollout waits":
			waits++
			if entry["gate"] == nil || entry["gate"] == "" || entry["level"] != "debug" {
				t.Errorf("a wait logged without its gate at V(1): %s", line)
			}
		}
	}
	if restarts != 3 || waits == 0 {
		t.Fatalf("%d restarts and %d waits logged; want the 3 restarts of the rollout and its waits", restarts, waits)
	}
}

// createCredentials creates the admin Secret nacos-admin and the MySQL Secret mysql-creds
// (both user nacos) with the given passwords.
func createCredentials(t *testing.T, ns, adminPassword, dbPassword string) {
	t.Helper()
	for name, data := range map[string]map[string]string{
		"nacos-admin": {"username": "nacos", "password": adminPassword},
		"mysql-creds": {"username": "nacos", "password": dbPassword},
	} {
		if err := env.Client.Create(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: data}); err != nil {
			t.Fatal(err)
		}
	}
}
