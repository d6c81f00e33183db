package resource

import (
	"strings"
	"testing"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

func TestPodMonitorScrapesEveryMemberOnTheActuator(t *testing.T) {
	for _, version := range []string{"2.5.1", "3.0.3"} {
		nc := sample(func(nc *nacosv1alpha1.NacosCluster) {
			nc.Spec.Version = version
			nc.Spec.Monitoring.PodMonitor = nacosv1alpha1.PodMonitorSpec{Enabled: true, Labels: map[string]string{"release": "prom", nacosv1alpha1.LabelInstance: "not-ours"}}
		})
		pm := PodMonitor(nc)
		if pm.Name != nc.Name || pm.Namespace != nc.Namespace || len(pm.OwnerReferences) != 1 || pm.OwnerReferences[0].Name != nc.Name {
			t.Errorf("%s: name %s/%s owners %+v", version, pm.Namespace, pm.Name, pm.OwnerReferences)
		}
		if pm.Labels["release"] != "prom" || pm.Labels[nacosv1alpha1.LabelInstance] != nc.Name {
			t.Errorf("%s: labels %v: the user's added, ours kept", version, pm.Labels)
		}
		for k, v := range SelectorLabels(nc) {
			if pm.Spec.Selector.MatchLabels[k] != v {
				t.Errorf("%s: selector %v lacks %s=%s", version, pm.Spec.Selector.MatchLabels, k, v)
			}
		}
		eps := pm.Spec.PodMetricsEndpoints
		if len(eps) != 1 || eps[0].Port == nil || *eps[0].Port != "http" || eps[0].Path != "/nacos/actuator/prometheus" || eps[0].Interval != "30s" {
			t.Errorf("%s: endpoints %+v, want http %s every 30s", version, eps, MetricsPath)
		}
		// The actuator only answers where the properties expose it.
		if !strings.Contains(ApplicationProperties(nc), "management.endpoints.web.exposure.include=prometheus\n") {
			t.Errorf("%s: application.properties does not expose the prometheus endpoint", version)
		}
	}
}
