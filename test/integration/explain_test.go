package integration

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nacos-operator/nacos-operator/test/harness"
)

// kubectl runs the kubectl built with the control plane against the test API server. It
// retries only while kubectl's discovery does not know the CRD yet: the API server publishes
// a new CRD's OpenAPI a moment after it is established. Any other failure fails the test.
func kubectl(t testing.TB, args ...string) string {
	t.Helper()
	return kubectlOn(t, env, args...)
}

// kubectlOn is kubectl against another control plane the test started.
func kubectlOn(t testing.TB, e *harness.Env, args ...string) string {
	t.Helper()
	var out []byte
	var failed error
	err := harness.Eventually(context.Background(), 30*time.Second, func(ctx context.Context) (bool, error) {
		cmd := exec.CommandContext(ctx, filepath.Join(e.Assets, "kubectl"), append([]string{"--kubeconfig", e.Kubeconfig}, args...)...)
		out, failed = cmd.CombinedOutput()
		if failed != nil && strings.Contains(string(out), "couldn't find resource") {
			return false, fmt.Errorf("%w: %s", failed, out)
		}
		return true, nil
	})
	if err == nil && failed != nil {
		err = fmt.Errorf("%w: %s", failed, out)
	}
	if err != nil {
		t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

// specSchema returns the served schema of NacosCluster.spec.
func specSchema(t testing.TB) apiextensionsv1.JSONSchemaProps {
	t.Helper()
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "nacosclusters.nacos.io"}, crd); err != nil {
		t.Fatal(err)
	}
	return crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
}

// undocumented lists every field path under schema without a description.
func undocumented(path string, schema apiextensionsv1.JSONSchemaProps) []string {
	var missing []string
	if strings.TrimSpace(schema.Description) == "" {
		missing = append(missing, path)
	}
	for name, prop := range schema.Properties {
		missing = append(missing, undocumented(path+"."+name, prop)...)
	}
	if schema.Items != nil && schema.Items.Schema != nil {
		for name, prop := range schema.Items.Schema.Properties {
			missing = append(missing, undocumented(path+"[]."+name, prop)...)
		}
	}
	return missing
}

// TestExplainDocumentsEveryField: `kubectl explain nacoscluster.spec` must be useful, so
// every field at every depth carries a description, and explain prints each one.
func TestExplainDocumentsEveryField(t *testing.T) {
	spec := specSchema(t)
	if missing := undocumented("spec", spec); len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("%d fields without a description:\n%s", len(missing), strings.Join(missing, "\n"))
	}

	out := kubectl(t, "explain", "nacoscluster.spec")
	for name, prop := range spec.Properties {
		if !strings.Contains(out, "\n  "+name+"\t") {
			t.Errorf("kubectl explain nacoscluster.spec does not list %q", name)
		}
		firstLine := strings.SplitN(prop.Description, "\n", 2)[0]
		firstWords := strings.Join(strings.Fields(firstLine)[:min(4, len(strings.Fields(firstLine)))], " ")
		if !strings.Contains(strings.Join(strings.Fields(out), " "), firstWords) {
			t.Errorf("kubectl explain does not show the description of %s (%q)", name, firstWords)
		}
	}
	if len(spec.Properties) < 14 {
		t.Errorf("spec has %d fields, want the 14 documented groups at least", len(spec.Properties))
	}

	// A nested field, by its short name, as users type it.
	nested := kubectl(t, "explain", "nc.spec.storage.mysql.credentialsSecretRef")
	for _, want := range []string{"username", "password", "passwordKey", "usernameKey"} {
		if !strings.Contains(nested, want) {
			t.Errorf("kubectl explain nc.spec.storage.mysql.credentialsSecretRef lacks %q:\n%s", want, nested)
		}
	}
}
