package resource

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// Ports of a Nacos member. The raft port of a peer is derived from the port written in
// cluster.conf (main-1000), so every member must keep these defaults.
const (
	PortHTTP       = 8848
	PortClientGRPC = 9848 // main + 1000
	PortPeerGRPC   = 9849 // main + 1001: member reports, Distro
	PortRaft       = 7848 // main - 1000: JRaft
	PortConsole    = 8080 // 3.x console
	// PortEvidence is the sidecar's read-only evidence endpoint (package podagent).
	PortEvidence = 8860
)

// Names of the objects owned by one NacosCluster.
type Names struct {
	StatefulSet, HeadlessService, ClientService, ConfigMap, PDB, AuthSecret string
}

// NamesFor derives every owned object's name from the NacosCluster's.
func NamesFor(nc *nacosv1alpha1.NacosCluster) Names {
	return Names{
		StatefulSet:     nc.Name,
		HeadlessService: nc.Name + "-headless",
		ClientService:   nc.Name,
		ConfigMap:       nc.Name + "-config",
		PDB:             nc.Name,
		AuthSecret:      nc.Name + "-auth",
	}
}

// MemberAddress is how member ordinal i is written in cluster.conf: exactly the canonical
// name Nacos resolves for itself in hostname mode, <pod>.<headless>.<ns>.svc.<domain>:8848.
func MemberAddress(nc *nacosv1alpha1.NacosCluster, ordinal int) string {
	return fmt.Sprintf("%s-%d.%s.%s.svc.%s:%d", nc.Name, ordinal, NamesFor(nc).HeadlessService, nc.Namespace, clusterDomain(nc), PortHTTP)
}

// MemberAddresses are the addresses of the desired members, in ordinal order.
func MemberAddresses(nc *nacosv1alpha1.NacosCluster, replicas int32) []string {
	out := make([]string, 0, replicas)
	for i := 0; i < int(replicas); i++ {
		out = append(out, MemberAddress(nc, i))
	}
	return out
}

func clusterDomain(nc *nacosv1alpha1.NacosCluster) string {
	if nc.Spec.ClusterDomain == "" {
		return "cluster.local"
	}
	return nc.Spec.ClusterDomain
}

// RaftAddress is a member's JRaft peer address: its cluster.conf host with the main port
// minus 1000 (MemberUtil.calculateRaftPort), as Raft metadata lists peers and leaders.
func RaftAddress(address string) string {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return address
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return address
	}
	return net.JoinHostPort(host, strconv.Itoa(n-1000))
}

// PodName is the pod name of a member FQDN address (<pod>.<svc>.<ns>.svc.<domain>:port), for
// readable messages; other addresses come back as their host.
func PodName(address string) string {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		host = address
	}
	if i := strings.Index(host, "."); i > 0 && strings.Contains(host, ".svc.") {
		return host[:i]
	}
	return host
}

// SelectorLabels select the member pods of one NacosCluster.
func SelectorLabels(nc *nacosv1alpha1.NacosCluster) map[string]string {
	return map[string]string{
		nacosv1alpha1.LabelName:      nacosv1alpha1.LabelNameValue,
		nacosv1alpha1.LabelInstance:  nc.Name,
		nacosv1alpha1.LabelComponent: "server",
	}
}

// Labels are put on every owned object.
func Labels(nc *nacosv1alpha1.NacosCluster) map[string]string {
	l := SelectorLabels(nc)
	l[nacosv1alpha1.LabelManagedBy] = nacosv1alpha1.LabelManagedByValue
	return l
}
