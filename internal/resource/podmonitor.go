package resource

import (
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// MetricsPath is where a member serves its Prometheus metrics on the http port: Spring
// Boot's actuator under the server's context path, exposed by the operator's
// management.endpoints.web.exposure.include=prometheus (ApplicationProperties). Measured on
// real 2.5.1 and 3.0.3 members (docs/nacos-api.md).
const MetricsPath = "/nacos/actuator/prometheus"

// PodMonitor scrapes every member of the cluster: the member pods' selector labels, the
// http port, MetricsPath. The labels the user asks for are added to ours, never replace them
// (the cache finds the PodMonitor by ours).
func PodMonitor(nc *nacosv1alpha1.NacosCluster) *monitoringv1.PodMonitor {
	meta := objectMeta(nc, nc.Name)
	for k, v := range nc.Spec.Monitoring.PodMonitor.Labels {
		if _, ours := meta.Labels[k]; !ours {
			meta.Labels[k] = v
		}
	}
	interval := nc.Spec.Monitoring.PodMonitor.Interval
	if interval == "" {
		interval = "30s"
	}
	return &monitoringv1.PodMonitor{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.PodMonitorsKind},
		ObjectMeta: meta,
		Spec: monitoringv1.PodMonitorSpec{
			Selector: metav1.LabelSelector{MatchLabels: SelectorLabels(nc)},
			// Each series is labelled with the member's NacosCluster, as our own metrics are.
			PodTargetLabels: []string{nacosv1alpha1.LabelInstance},
			PodMetricsEndpoints: []monitoringv1.PodMetricsEndpoint{{
				Port:     ptr.To("http"),
				Path:     MetricsPath,
				Interval: monitoringv1.Duration(interval),
			}},
		},
	}
}
