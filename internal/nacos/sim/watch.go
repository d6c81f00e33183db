package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fsnotify/fsnotify"
)

// watchClusterConf is FileConfigMemberLookup's WatchFileCenter: a watch on the conf
// directory (inotify), reloading only on events whose file name contains "cluster.conf".
// A write in place or a rename into place is seen; a ConfigMap volume update, which swaps
// the ..data symlink, produces events for ..data names only and is not.
// The caller holds m.mu.
func (m *Member) watchClusterConf() error {
	dir := filepath.Dir(m.cfg.clusterConfPath())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create conf dir: %w", err)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch conf dir: %w", err)
	}
	if err := w.Add(dir); err != nil {
		_ = w.Close()
		return fmt.Errorf("watch %s: %w", dir, err)
	}
	m.watcher = w
	stop := m.stop
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		for {
			select {
			case <-stop:
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				name := filepath.Base(ev.Name)
				if strings.Contains(name, "cluster.conf") {
					m.reloadClusterConf()
				}
				m.mu.Lock()
				m.seen = append(m.seen, name)
				m.mu.Unlock()
			case _, ok := <-w.Errors:
				if !ok {
					return
				}
			}
		}
	}()
	return nil
}

// reloadClusterConf re-reads the file; a failed read is logged and ignored, keeping the
// old membership ("[serverlist] failed to get serverlist from disk!").
func (m *Member) reloadClusterConf() {
	list, err := readMemberList(m.cfg, m.port)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.running {
		return
	}
	if err != nil {
		m.logf("[serverlist] failed to get serverlist from disk!, error: %v", err)
		return
	}
	m.applyMembersLocked(list, m.cfg.Clock.Now())
}

// SeenFileEvents lists the names of conf-directory events the member has processed, in
// order. Tests use an unrelated file as a barrier: once its event is seen, every earlier
// event (such as a ..data symlink swap) has been handled.
func (m *Member) SeenFileEvents() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.seen...)
}
