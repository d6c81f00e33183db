package v1alpha1

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestValidate(t *testing.T) {
	heap := resource.MustParse("2Gi")
	cases := []struct {
		name  string
		spec  NacosClusterSpec
		wants []string // substrings, one per expected error, in order
	}{
		{name: "empty spec is fine"},
		{
			name: "user env is fine",
			spec: NacosClusterSpec{Pod: PodSpec{Env: []corev1.EnvVar{{Name: "TZ", Value: "UTC"}}}},
		},
		{
			name: "managed env names are refused with their source",
			spec: NacosClusterSpec{Pod: PodSpec{Env: []corev1.EnvVar{
				{Name: "TZ"}, {Name: "MODE"}, {Name: "MYSQL_SERVICE_PASSWORD"},
			}}},
			wants: []string{
				"spec.pod.env[1].name: Forbidden: MODE is set by the operator from spec.mode",
				"spec.pod.env[2].name: Forbidden: MYSQL_SERVICE_PASSWORD is set by the operator from spec.storage.mysql",
			},
		},
		{
			name: "heap at the memory limit is refused",
			spec: NacosClusterSpec{
				Config: ConfigSpec{JVM: JVMSpec{Heap: &heap}},
				Pod:    PodSpec{Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("2Gi")}}},
			},
			wants: []string{`spec.config.jvm.heap: Invalid value: "2Gi": the JVM heap must be below the container memory limit (2Gi)`},
		},
		{
			name: "heap below the memory limit is fine",
			spec: NacosClusterSpec{
				Config: ConfigSpec{JVM: JVMSpec{Heap: &heap}},
				Pod:    PodSpec{Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("3Gi")}}},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.spec.Validate()
			if len(errs) != len(tc.wants) {
				t.Fatalf("got %d errors %v, want %d", len(errs), errs, len(tc.wants))
			}
			for i, want := range tc.wants {
				if !strings.Contains(errs[i].Error(), want) {
					t.Errorf("error %d = %q, want it to contain %q", i, errs[i].Error(), want)
				}
			}
		})
	}
}

func TestContainerImageAndMajorVersion(t *testing.T) {
	cases := []struct {
		spec  NacosClusterSpec
		image string
		major int
	}{
		{NacosClusterSpec{Version: "2.5.1"}, "nacos/nacos-server:v2.5.1", 2},
		{NacosClusterSpec{Version: "3.0.3", Image: "r.example/nacos:x"}, "r.example/nacos:x", 3},
		{NacosClusterSpec{Version: "garbage"}, "nacos/nacos-server:vgarbage", 0},
	}
	for _, tc := range cases {
		if got := tc.spec.ContainerImage(); got != tc.image {
			t.Errorf("ContainerImage(%+v) = %q, want %q", tc.spec, got, tc.image)
		}
		if got := tc.spec.MajorVersion(); got != tc.major {
			t.Errorf("MajorVersion(%q) = %d, want %d", tc.spec.Version, got, tc.major)
		}
	}
}
