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
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every type in this package.
	GroupVersion = schema.GroupVersion{Group: "nacos.io", Version: "v1alpha1"}

	// SchemeBuilder registers the types of this package with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
