package realcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/rollout"
)

// coverage records every rollout gate and diagnosis code the operator reported on real
// members, with the scenario that first showed it, so the coverage tables in
// docs/design/rollout.md and docs/diagnosis.md are checked against what really happened.
type coverage struct {
	mu   sync.Mutex
	step string
	seen map[string]string // "gate:X" or "diag:Y" -> step
}

var covered = &coverage{seen: map[string]string{}}

func (c *coverage) at(step string) { c.mu.Lock(); c.step = step; c.mu.Unlock() }

func (c *coverage) saw(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[key]; !ok {
		c.seen[key] = c.step
	}
}

// watch polls every NacosCluster's status until ctx ends.
func (c *coverage) watch(ctx context.Context, cfg *rest.Config, scheme client.Options) {
	cl, err := client.New(cfg, scheme)
	if err != nil {
		fmt.Fprintln(os.Stderr, "realcluster: coverage client:", err)
		return
	}
	gates := gateReasons()
	for ctx.Err() == nil {
		list := &nacosv1alpha1.NacosClusterList{}
		if err := cl.List(ctx, list); err == nil {
			for _, nc := range list.Items {
				for _, cond := range nc.Status.Conditions {
					if cond.Type == nacosv1alpha1.ConditionProgressing && slices.Contains(gates, cond.Reason) {
						c.saw("gate:" + cond.Reason)
					}
				}
				for _, m := range nc.Status.Members {
					if m.BlockedBy != "" {
						c.saw("gate:" + m.BlockedBy)
					}
					for _, f := range m.Diagnosis {
						c.saw("diag:" + f.Code)
					}
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// report lists what was seen, for the log and $NACOS_MEASURES.
func (c *coverage) report() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.seen))
	for k := range c.seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s (first in %s)\n", k, c.seen[k])
	}
	return b.String()
}

// coverageRow is a row of a coverage table: | `Name` | real: ... | or | `Name` | simulator only: ... |
var coverageRow = regexp.MustCompile("^\\| `([A-Za-z]+)` \\| (real|simulator only)[:|]")

// claims reads the docs' coverage tables: gate or code -> "real" or "simulator only".
func claims() (map[string]string, error) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	out := map[string]string{}
	for prefix, doc := range map[string]string{"gate": "docs/design/rollout.md", "diag": "docs/diagnosis.md"} {
		raw, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", doc, err)
		}
		inTable := false
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, "## ") {
				inTable = strings.Contains(line, "on real members")
			}
			if m := coverageRow.FindStringSubmatch(line); inTable && m != nil {
				out[prefix+":"+m[1]] = m[2]
			}
		}
	}
	return out, nil
}

// missingRows lists gates and codes without a row in the coverage tables.
func missingRows(claimed map[string]string) []string {
	var out []string
	for _, k := range allCodes() {
		if _, ok := claimed[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// check compares the docs' coverage tables with what was seen: every gate and code must
// have a row, and every row that claims "real" must have been seen in this run.
func (c *coverage) check() error {
	claimed, err := claims()
	if err != nil {
		return err
	}
	var problems []string
	for _, k := range missingRows(claimed) {
		problems = append(problems, k+" has no row in the real-member coverage table")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, claim := range claimed {
		if claim == "real" && c.seen[k] == "" {
			problems = append(problems, k+" is claimed real but was not seen in this run")
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		return fmt.Errorf("coverage tables: %s", strings.Join(problems, "; "))
	}
	return nil
}

// gateReasons are the planner's gates and the pause, which waits like one but cannot be skipped.
func gateReasons() []string { return append(rollout.GateNames(), nacosv1alpha1.GateRolloutPaused) }

// allCodes are every rollout gate and diagnosis code.
func allCodes() []string {
	var out []string
	for _, g := range gateReasons() {
		out = append(out, "gate:"+g)
	}
	for _, d := range nacosv1alpha1.DiagnosisCodes() {
		out = append(out, "diag:"+d)
	}
	return out
}

// The tables must name every gate and code, real or not: checked in make test too, so a new
// gate or code cannot land without saying whether real members have shown it.
func TestCoverageTablesListEveryGateAndCode(t *testing.T) {
	claimed, err := claims()
	if err != nil {
		t.Fatal(err)
	}
	if missing := missingRows(claimed); len(missing) > 0 {
		t.Fatalf("no row in the real-member coverage tables (docs/design/rollout.md, docs/diagnosis.md) for %v", missing)
	}
	if len(claimed) != len(allCodes()) {
		t.Fatalf("%d rows for %d gates and codes: a row names something that does not exist", len(claimed), len(allCodes()))
	}
}
