package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// annotationRendered holds the hash of what the operator last rendered for an owned object.
// The API server defaults many fields, so comparing rendered and stored objects field by
// field would always differ; comparing hashes of our own rendering writes only when our
// intent changed, and an unchanged cluster costs zero writes.
const annotationRendered = "nacos.io/rendered-hash"

// applyOwned creates desired, or updates the stored object when the rendering changed or
// drifted reports a change made outside the operator (a hand edit of the member list, a scaled
// StatefulSet). keep copies fields the API server owns or forbids changing (cluster IPs, claim
// templates) from the stored object into the update; finalizers and labels others added stay.
func applyOwned[T client.Object](ctx context.Context, c client.Client, desired T, keep func(stored, update T), drifted func(stored, desired T) bool) (bool, error) {
	hash, err := renderedHash(desired)
	if err != nil {
		return false, err
	}
	stored := desired.DeepCopyObject().(T)
	err = c.Get(ctx, client.ObjectKeyFromObject(desired), stored)
	kind := fmt.Sprintf("%T", desired)
	switch {
	case apierrors.IsNotFound(err):
		setAnnotation(desired, annotationRendered, hash)
		if err := c.Create(ctx, desired); err != nil {
			return false, fmt.Errorf("create %s %s: %w", kind, desired.GetName(), err)
		}
		log.FromContext(ctx).Info("created", "object", desired.GetName(), "kind", kind)
		return true, nil
	case err != nil:
		return false, fmt.Errorf("get %s %s: %w", kind, desired.GetName(), err)
	case stored.GetAnnotations()[annotationRendered] == hash && (drifted == nil || !drifted(stored, desired)):
		return false, nil
	}
	update := desired.DeepCopyObject().(T)
	update.SetResourceVersion(stored.GetResourceVersion())
	for k, v := range stored.GetAnnotations() {
		if _, ours := update.GetAnnotations()[k]; !ours {
			setAnnotation(update, k, v)
		}
	}
	setAnnotation(update, annotationRendered, hash)
	update.SetFinalizers(stored.GetFinalizers())
	labels := update.GetLabels()
	for k, v := range stored.GetLabels() {
		if _, ours := labels[k]; !ours {
			if labels == nil {
				labels = map[string]string{}
			}
			labels[k] = v
		}
	}
	update.SetLabels(labels)
	if keep != nil {
		keep(stored, update)
	}
	if err := c.Update(ctx, update); err != nil {
		return false, fmt.Errorf("update %s %s: %w", kind, desired.GetName(), err)
	}
	log.FromContext(ctx).Info("updated", "object", desired.GetName(), "kind", kind)
	return true, nil
}

func renderedHash(obj client.Object) (string, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return "", fmt.Errorf("hash rendered %s: %w", obj.GetName(), err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:20], nil
}

func setAnnotation(obj client.Object, k, v string) {
	a := obj.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[k] = v
	obj.SetAnnotations(a)
}
