package v1alpha1

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// operatorEnv are container variables the operator derives from the spec. A user value would
// silently fight the operator's (the image's start script reads them), so they are refused.
var operatorEnv = map[string]string{
	"MODE":                       "spec.mode",
	"NACOS_SERVERS":              "spec.replicas",
	"PREFER_HOST_MODE":           "the operator's hostname identity",
	"NACOS_SERVER_IP":            "the operator's hostname identity",
	"NACOS_APPLICATION_PORT":     "the operator's fixed ports",
	"EMBEDDED_STORAGE":           "spec.storage",
	"SPRING_DATASOURCE_PLATFORM": "spec.storage",
	"NACOS_AUTH_ENABLE":          "spec.auth",
	"NACOS_AUTH_TOKEN":           "spec.auth",
	"NACOS_AUTH_IDENTITY_KEY":    "spec.auth",
	"NACOS_AUTH_IDENTITY_VALUE":  "spec.auth",
	"JVM_XMS":                    "spec.config.jvm.heap",
	"JVM_XMX":                    "spec.config.jvm.heap",
	"JVM_XMN":                    "spec.config.jvm.heap",
	"JAVA_OPT":                   "spec.config.jvm.options",
}

// Validate checks what the CRD schema cannot check within its CEL cost budget (env names
// have no length bound) or cannot express (quantities across fields). The reconciler runs
// it on every pass and reports failures as Reconciled=False with reason InvalidSpec, so an
// object that skipped admission (an older CRD, a direct etcd write) is refused the same way.
func (s *NacosClusterSpec) Validate() field.ErrorList {
	var errs field.ErrorList
	envPath := field.NewPath("spec", "pod", "env")
	for i, e := range s.Pod.Env {
		from, managed := operatorEnv[e.Name]
		if strings.HasPrefix(e.Name, "MYSQL_SERVICE_") {
			from, managed = "spec.storage.mysql", true
		}
		if managed {
			errs = append(errs, field.Forbidden(envPath.Index(i).Child("name"),
				e.Name+" is set by the operator from "+from+"; remove it from pod.env"))
		}
	}
	if heap, limit := s.Config.JVM.Heap, s.Pod.Resources.Limits.Memory(); heap != nil && !limit.IsZero() && heap.Cmp(*limit) >= 0 {
		errs = append(errs, field.Invalid(field.NewPath("spec", "config", "jvm", "heap"), heap.String(),
			"the JVM heap must be below the container memory limit ("+limit.String()+"), or the kernel kills the member (OOMKilled); leave about 25% for metaspace, threads and buffers"))
	}
	return errs
}
