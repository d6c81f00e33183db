// Package resource holds the pure builders of everything a NacosCluster owns: values in,
// objects out, no client, clock or randomness (generated secrets are passed in). The
// controller applies what these return; tests compare them with golden files.
//
// Invariants:
//   - Only inputs that need a restart enter the pod template: the config hash annotation covers
//     application.properties; replicas and the member list never do, so scaling never
//     restarts a member (cluster.conf reaches running members through the ConfigMap and the
//     in-pod writer, see docs/design/cluster-conf.md).
//   - Every rendering is deterministic (sorted keys and members), so an unchanged spec
//     produces byte-identical objects and the controller writes nothing.
package resource
