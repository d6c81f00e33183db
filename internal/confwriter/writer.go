// Package confwriter delivers cluster.conf to a running Nacos member. It runs in the member's
// pod (a native sidecar: `manager cluster-conf-writer`), reads the member list the operator
// renders into the ConfigMap (which the kubelet updates by a ..data symlink swap, invisible to
// Nacos) and writes it to the conf directory Nacos watches, by rename, which Nacos does see.
//
// It compares member sets, never bytes: Nacos rewrites the file itself after every change
// (a #timestamp header, sorted addresses), and a byte comparison would fight it forever.
// It never writes an empty or unreadable list (Nacos would ignore it, and it would mean the
// source is broken, not that the cluster has no members).
package confwriter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/utils/clock"

	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// Sync makes target list the members of source. It reports whether it wrote.
func Sync(source, target string) (bool, error) {
	data, err := os.ReadFile(source)
	if err != nil {
		return false, fmt.Errorf("read desired members from %s: %w", source, err)
	}
	want, err := resource.ParseMemberSet(string(data))
	if err != nil {
		return false, fmt.Errorf("parse desired members from %s: %w", source, err)
	}
	if len(want) == 0 {
		return false, fmt.Errorf("%s lists no members; refusing to write an empty cluster.conf", source)
	}
	current, err := os.ReadFile(target)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("read %s: %w", target, err)
	}
	if have, perr := resource.ParseMemberSet(string(current)); perr == nil && resource.SameMembers(have, want) {
		return false, nil
	}
	if err := writeAtomically(target, []byte(resource.RenderClusterConf(want))); err != nil {
		return false, err
	}
	return true, nil
}

// writeAtomically writes a temp file in the target's directory and renames it over the
// target. The temp name does not contain "cluster.conf", so Nacos's watcher reacts only to
// the rename, never to a half-written file.
func writeAtomically(target string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(target), ".members-*.tmp")
	if err != nil {
		return fmt.Errorf("create temp file next to %s: %w", target, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("rename into %s: %w", target, err)
	}
	return nil
}

// Run syncs every period until ctx ends, reporting each write or error through report.
// Polling (not inotify) because the kubelet's symlink swap gives no event on the file.
func Run(ctx context.Context, source, target string, period time.Duration, clk clock.WithTicker, report func(wrote bool, err error)) {
	t := clk.NewTicker(period)
	defer t.Stop()
	for {
		wrote, err := Sync(source, target)
		if wrote || err != nil {
			report(wrote, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}
