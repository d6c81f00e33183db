package sandbox

import (
	"strings"
	"testing"
)

// Two sandboxes at once must not share member addresses or a real network; a slot that is
// released is free again.
func TestSlotsKeepSandboxesApart(t *testing.T) {
	a, err := claimSlot()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = a.release() }()
	b, err := claimSlot()
	if err != nil {
		t.Fatal(err)
	}
	if a.n == b.n || a.podIPPrefix() == b.podIPPrefix() {
		t.Fatalf("two live sandboxes got slot %d (%s) and %d (%s)", a.n, a.podIPPrefix(), b.n, b.podIPPrefix())
	}
	an, as := a.network()
	bn, bs := b.network()
	if an == bn || as == bs || strings.HasPrefix(bn, an) && len(bn) > len(an) {
		t.Fatalf("networks %s/%d and %s/%d overlap", an, as, bn, bs)
	}
	for _, p := range []string{a.podIPPrefix(), b.podIPPrefix()} {
		if p == "127.77." || p == "127.79." { // the integration tests' and the fidelity lane's
			t.Fatalf("slot prefix %s is another lane's", p)
		}
	}
	n := b.n
	if err := b.release(); err != nil {
		t.Fatal(err)
	}
	if _, err := claim(a.n); err == nil {
		t.Fatalf("slot %d claimed twice", a.n)
	}
	c, err := claim(n)
	if err != nil {
		t.Fatalf("released slot %d is not free again: %v", n, err)
	}
	defer func() { _ = c.release() }()
}

// When every slot is taken the sandbox refuses to start, saying why.
func TestAllSlotsTakenIsAClearError(t *testing.T) {
	var held []*slot
	defer func() {
		for _, s := range held {
			_ = s.release()
		}
	}()
	for {
		s, err := claimSlot()
		if err != nil {
			if !strings.Contains(err.Error(), "sandbox slots on this machine are in use") {
				t.Fatalf("error %q does not say the slots are in use", err)
			}
			break
		}
		held = append(held, s)
		if len(held) > slots {
			t.Fatalf("claimed %d slots, more than the %d there are", len(held), slots)
		}
	}
	if len(held) == 0 {
		t.Fatal("no slot could be claimed at all")
	}
}
