package controllers

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
)

// writeStatus is the one place that writes NacosCluster status. It skips the write when
// nothing changed (status churn wakes every watcher and fills the audit log) and patches
// with an optimistic lock, so a status computed from a stale object is refused by the API
// server instead of overwriting a newer one; the conflict requeues the reconcile.
func (r *NacosClusterReconciler) writeStatus(ctx context.Context, nc *nacosv1alpha1.NacosCluster, status nacosv1alpha1.NacosClusterStatus) error {
	if equality.Semantic.DeepEqual(nc.Status, status) {
		return nil
	}
	base := nc.DeepCopy()
	nc.Status = status
	patch := client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})
	if err := r.Status().Patch(ctx, nc, patch); err != nil {
		return fmt.Errorf("write status of NacosCluster %s/%s: %w", nc.Namespace, nc.Name, err)
	}
	return nil
}
