package controllers

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/resource"
	"github.com/nacos-operator/nacos-operator/internal/upgrade"
)

// upgradeFor decides which version this pass renders (internal/upgrade decides; this reads
// its inputs): the spec's, or the one the StatefulSet was rendered for while an upgrade
// waits for the schema or is refused. The members' versions come from the last pass's
// status: a pass late by one observation only delays the decision by one pass.
func (r *NacosClusterReconciler) upgradeFor(ctx context.Context, nc *nacosv1alpha1.NacosCluster) (upgrade.Decision, *nacosv1alpha1.NacosCluster, error) {
	sts := &appsv1.StatefulSet{}
	err := r.Get(ctx, client.ObjectKey{Namespace: nc.Namespace, Name: resource.NamesFor(nc).StatefulSet}, sts)
	if err != nil && !apierrors.IsNotFound(err) {
		return upgrade.Decision{}, nc, fmt.Errorf("read StatefulSet for the rendered version: %w", err)
	}
	rendered, image := "", ""
	if err == nil {
		rendered, image = renderedVersion(sts)
	}
	in := upgrade.Input{
		Desired: nc.Spec.Version, Rendered: rendered,
		MySQL:           nc.Spec.Storage.Type == nacosv1alpha1.StorageMySQL,
		SchemaConfirmed: nc.Annotations[nacosv1alpha1.AnnotationSchemaConfirmed],
	}
	for _, m := range nc.Status.Members {
		if m.Version == "" {
			in.Unknown++
		}
		in.Running = append(in.Running, m.Version)
	}
	if u := nc.Status.Upgrade; u != nil && u.To == nc.Spec.Version && u.State == nacosv1alpha1.UpgradeRolling {
		in.InProgressFrom = u.From
	}
	d := upgrade.Plan(in)
	if d.Version == nc.Spec.Version {
		return d, nc, nil
	}
	// Held: every builder renders the version the members run; with a user image, that
	// image too (the spec's would be the new version's).
	held := nc.DeepCopy()
	held.Spec.Version = d.Version
	if nc.Spec.Image != "" {
		held.Spec.Image = image
	}
	return d, held, nil
}

// renderedVersion is the version (and the Nacos container's image) a StatefulSet was
// rendered for: its nacos.io/version annotation, or, for one an older operator wrote, the
// image's v<version> tag.
func renderedVersion(sts *appsv1.StatefulSet) (version, image string) {
	for _, c := range sts.Spec.Template.Spec.Containers {
		if c.Name == resource.ContainerNacos {
			image = c.Image
		}
	}
	if v := sts.Annotations[nacosv1alpha1.AnnotationVersion]; v != "" {
		return v, image
	}
	if i := strings.LastIndex(image, ":v"); i >= 0 {
		return image[i+2:], image
	}
	return "", image
}

// reportUpgrade keeps status.upgrade, words Progressing as an upgrade while members move
// to the new version, and says why one waits or is refused.
func (r *NacosClusterReconciler) reportUpgrade(nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus, d upgrade.Decision) {
	prev := nc.Status.Upgrade
	if d.From == "" {
		if prev != nil && prev.State == nacosv1alpha1.UpgradeRolling && prev.To == nc.Spec.Version {
			r.Recorder.Eventf(nc, nil, corev1.EventTypeNormal, nacosv1alpha1.EventUpgradeCompleted, "Upgrade",
				"Every member runs %s (upgraded from %s)", prev.To, prev.From)
		}
		s.Upgrade = nil
		return
	}
	up := upgradeStatus(d, s.Members, prev)
	s.Upgrade = up
	progressing := findCondition(s, nacosv1alpha1.ConditionProgressing)
	if d.Held() {
		r.reportHeld(nc, s, d, prev, progressing)
		return
	}
	if up.StartedAt == nil {
		now := metav1.NewTime(r.Clock.Now())
		up.StartedAt = &now
	}
	if prev == nil || prev.To != up.To || prev.State != nacosv1alpha1.UpgradeRolling {
		r.Recorder.Eventf(nc, nil, corev1.EventTypeNormal, nacosv1alpha1.EventUpgradeStarted, "Upgrade",
			"Upgrading %s -> %s (%s): one member at a time, each gated on health and Distro, the Raft leader last", d.From, d.To, strings.ToLower(string(d.Kind)))
		if d.Kind == upgrade.KindMajor && nc.Spec.Storage.Type != nacosv1alpha1.StorageMySQL {
			r.Recorder.Eventf(nc, nil, corev1.EventTypeWarning, nacosv1alpha1.EventUpgradeWritesAtRisk, "Upgrade", "%s", writesAtRisk)
		}
	}
	// A pause or a missed deadline (Progressing False for its own reason) says more than the
	// upgrade's wording would.
	if progressing != nil && progressing.Status == metav1.ConditionFalse && progressing.Reason != nacosv1alpha1.ReasonUpToDate {
		return
	}
	r.setCondition(nc, s, nacosv1alpha1.ConditionProgressing, metav1.ConditionTrue, upgradeReason(d, progressing), upgradeMessage(d, up, len(s.Members), progressing))
}

// upgradeStatus is status.upgrade for a change in progress or held, keeping its start time.
func upgradeStatus(d upgrade.Decision, members []nacosv1alpha1.MemberStatus, prev *nacosv1alpha1.UpgradeStatus) *nacosv1alpha1.UpgradeStatus {
	up := &nacosv1alpha1.UpgradeStatus{From: d.From, To: d.To, Kind: nacosv1alpha1.UpgradeKind(d.Kind), State: nacosv1alpha1.UpgradeRolling}
	for _, m := range members {
		if m.Version == d.To {
			up.UpdatedMembers++
		}
	}
	if prev != nil && prev.To == up.To && prev.StartedAt != nil {
		up.StartedAt = prev.StartedAt
	}
	return up
}

// writesAtRisk is measured on real members (docs/design/upgrades.md): Nacos 3.0's first start
// migrates configs between namespaces ” and 'public', and on embedded storage config writes
// made meanwhile were reverted or missed by a member.
const writesAtRisk = "Pause config publishes until this upgrade completes: on embedded storage, Nacos 3.0 migrates configs between namespaces '' and 'public' at each member's first start, and writes made meanwhile were reverted (4 of 184 on every member) or missed by one member (13 more) on real 2.5.1 -> 3.0.3; registrations and reads are not affected. With MySQL the same load lost nothing."

// reportHeld says once (an Event) and for as long as it lasts (Progressing, unless another
// change is rolling or scaling, which keeps its reason until done) why the upgrade waits.
func (r *NacosClusterReconciler) reportHeld(nc *nacosv1alpha1.NacosCluster, s *nacosv1alpha1.NacosClusterStatus, d upgrade.Decision, prev *nacosv1alpha1.UpgradeStatus, progressing *metav1.Condition) {
	s.Upgrade.State = nacosv1alpha1.UpgradeState(d.Hold)
	if prev == nil || prev.State != s.Upgrade.State || prev.To != s.Upgrade.To {
		r.Recorder.Eventf(nc, nil, corev1.EventTypeWarning, d.Hold, "Upgrade", "%s", d.Message)
	}
	if progressing == nil || progressing.Status != metav1.ConditionTrue {
		r.setCondition(nc, s, nacosv1alpha1.ConditionProgressing, metav1.ConditionFalse, d.Hold, d.Message)
	}
}

// upgradeReason: a restart the upgrade makes is Upgrading or UpgradingMajor; a wait keeps
// its gate's name.
func upgradeReason(d upgrade.Decision, c *metav1.Condition) string {
	if c != nil && c.Status == metav1.ConditionTrue && c.Reason != nacosv1alpha1.ReasonRollingRestart {
		return c.Reason
	}
	if d.Kind == upgrade.KindMajor {
		return nacosv1alpha1.ReasonUpgradingMajor
	}
	return nacosv1alpha1.ReasonUpgrading
}

// upgradeMessage names the upgrade, its step and the member, ahead of the rollout's words.
func upgradeMessage(d upgrade.Decision, up *nacosv1alpha1.UpgradeStatus, members int, c *metav1.Condition) string {
	head := fmt.Sprintf("Upgrading %s -> %s (%s), %d of %d members on %s", d.From, d.To, strings.ToLower(string(d.Kind)), up.UpdatedMembers, members, d.To)
	if d.Kind == upgrade.KindMajor {
		step := "step 2 of 3, members: each restarts on " + d.To + " with the server identity and token from the auth Secret (step 1, in place)"
		if int(up.UpdatedMembers) == members {
			step = "step 3 of 3, identity: every member runs " + d.To + "; Nacos now checks the server identity on every call between members"
		}
		head += ", " + step
	}
	if c == nil || c.Status != metav1.ConditionTrue {
		return head + ": waiting for every member to report " + d.To + "."
	}
	return head + ": " + c.Message
}
