package sandbox

import (
	"fmt"
	"net"
)

// slots is how many sandboxes may run on one machine at once. Each owns its pod addresses
// (127.<80+n>.0.0/16) and, with real members, its network (nacossb<n>, 10.<216+n>.0.0/16),
// so that two sandboxes (make sandbox beside the e2e tests, or TestDemo beside
// TestSandboxCommand) never bind the same member address. CI lost a run to that: both
// started at 127.78.0.1, the second member's bind failed, and its cluster never got Ready.
const slots = 10

// slot is a sandbox's claim on its number, held by a listening abstract unix socket: the
// kernel frees it when the process exits, however it exits, and it leaves no file behind.
type slot struct {
	n int
	l net.Listener
}

func claimSlot() (*slot, error) {
	for n := range slots {
		if s, err := claim(n); err == nil {
			return s, nil
		}
	}
	return nil, fmt.Errorf("all %d sandbox slots on this machine are in use: stop a running sandbox first", slots)
}

func claim(n int) (*slot, error) {
	l, err := net.Listen("unix", fmt.Sprintf("@nacos-operator-sandbox-%d", n))
	if err != nil {
		return nil, fmt.Errorf("claim sandbox slot %d: %w", n, err)
	}
	return &slot{n: n, l: l}, nil
}

// podIPPrefix is where the simulated members listen (integration tests use 127.77., the
// fidelity lane 127.79.).
func (s *slot) podIPPrefix() string { return fmt.Sprintf("127.%d.", 80+s.n) }

// network names the real members' bridge and subnet (the fidelity lane uses 213, the
// operator lane 214).
func (s *slot) network() (string, byte) { return fmt.Sprintf("nacossb%d", s.n), byte(216 + s.n) }

func (s *slot) release() error {
	if s == nil {
		return nil
	}
	if err := s.l.Close(); err != nil {
		return fmt.Errorf("release sandbox slot %d: %w", s.n, err)
	}
	return nil
}
