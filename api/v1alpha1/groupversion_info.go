// Package v1alpha1 holds the NacosCluster API (group nacos.io, version v1alpha1).
//
// Everything a user can set is validated at admission by the CRD schema (markers and CEL
// rules in the type files), so a bad spec is refused by `kubectl apply` with a message that
// says what to change, instead of being discovered later by the reconciler.
//
// +kubebuilder:object:generate=true
// +groupName=nacos.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of every type in this package.
	GroupVersion = schema.GroupVersion{Group: "nacos.io", Version: "v1alpha1"}

	// SchemeBuilder registers the types of this package with a runtime.Scheme. The API
	// package depends only on apimachinery and k8s.io/api, so other projects can import it.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &NacosCluster{}, &NacosClusterList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
