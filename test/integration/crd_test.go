package integration

import (
	"context"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestCRDInstalled checks that the generated CRD is accepted by a real API server (CEL
// rules compile within their cost budget) and serves the names users type.
func TestCRDInstalled(t *testing.T) {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "nacosclusters.nacos.io"}, crd); err != nil {
		t.Fatalf("get CRD: %v", err)
	}
	established := false
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
			established = true
		}
	}
	if !established {
		t.Fatalf("CRD not established: %+v", crd.Status.Conditions)
	}
	if got, want := crd.Spec.Names.ShortNames, []string{"nacos", "nc"}; !equalStrings(got, want) {
		t.Errorf("short names = %v, want %v", got, want)
	}
	if crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
		t.Errorf("scope = %s, want Namespaced", crd.Spec.Scope)
	}
	v := crd.Spec.Versions[0]
	if v.Name != "v1alpha1" || v.Subresources == nil || v.Subresources.Status == nil {
		t.Errorf("version %s: want v1alpha1 with a status subresource, got %+v", v.Name, v.Subresources)
	}
	var columns []string
	for _, c := range v.AdditionalPrinterColumns {
		columns = append(columns, c.Name)
	}
	want := []string{"Mode", "Replicas", "Ready", "Distro", "Version", "Upgrade", "Phase", "Age", "Message"}
	if !equalStrings(columns, want) {
		t.Errorf("printer columns = %v, want %v", columns, want)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
