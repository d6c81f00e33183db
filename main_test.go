package main

import (
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestParseFlagsDefaults(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.metricsAddr != ":8443" || !o.secureMetrics || o.probeAddr != ":8081" || o.leaderElect || o.maxConcurrentReconciles != 2 {
		t.Errorf("defaults = %+v", o)
	}
	if o.namespaces() != nil {
		t.Errorf("default namespaces = %v, want nil (all namespaces)", o.namespaces())
	}
}

func TestParseFlagsNamespacesAndOptions(t *testing.T) {
	o, err := parseFlags([]string{"--watch-namespaces= a, b ,,c", "--leader-elect", "--max-concurrent-reconciles=4", "--zap-log-level=debug"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for ns := range o.namespaces() {
		got = append(got, ns)
	}
	sort.Strings(got)
	if !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("namespaces = %v, want [a b c]", got)
	}
	if !o.leaderElect || o.maxConcurrentReconciles != 4 {
		t.Errorf("options = %+v", o)
	}
}

func TestParseFlagsRejectsBadInput(t *testing.T) {
	cases := map[string]string{
		"--max-concurrent-reconciles=0": "--max-concurrent-reconciles must be at least 1, got 0",
		"--leader-elect=maybe":          "invalid boolean value",
		"--no-such-flag":                "flag provided but not defined",
	}
	for arg, want := range cases {
		_, err := parseFlags([]string{arg})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseFlags(%s) error = %v, want %q", arg, err, want)
		}
	}
}

func TestWriterCommandRejectsBadInput(t *testing.T) {
	for arg, want := range map[string]string{"--period=0s": "--period must be positive", "--bogus": "flag provided but not defined"} {
		if err := runWriter([]string{arg}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("runWriter(%s) = %v, want %q", arg, err, want)
		}
	}
}

func TestTheBinaryCachesOnlyItsOwnObjects(t *testing.T) {
	o, err := parseFlags([]string{"--watch-namespaces=a"})
	if err != nil {
		t.Fatal(err)
	}
	if c := o.cacheOptions(false); len(c.ByObject) != len(o.cacheOptions(true).ByObject)-1 {
		t.Errorf("PodMonitors served adds %d cached kinds, want 1", len(o.cacheOptions(true).ByObject)-len(c.ByObject))
	}
	c := o.cacheOptions(true)
	if _, ok := c.DefaultNamespaces["a"]; !ok || len(c.DefaultNamespaces) != 1 {
		t.Errorf("namespaces %v, want [a]", c.DefaultNamespaces)
	}
	narrowed := map[string]bool{}
	for obj, by := range c.ByObject {
		if by.Label != nil && !by.Label.Empty() {
			narrowed[reflect.TypeOf(obj).Elem().Name()] = true
		}
	}
	for _, kind := range []string{"Pod", "Secret", "ConfigMap", "Service", "StatefulSet", "PodMonitor"} {
		if !narrowed[kind] {
			t.Errorf("the manager caches every %s of the watched namespaces, not only the operator's (narrowed: %v)", kind, narrowed)
		}
	}
}
