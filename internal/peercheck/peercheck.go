// Package peercheck dials, from inside a member's pod, every peer's Nacos ports: the evidence
// the expert checklist asks for ("from each node, telnet every peer"), where the operator can
// only infer reachability from outside. A TCP connect is all it does: no byte is sent.
package peercheck

import (
	"context"
	"errors"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/utils/clock"
)

// Result of one dial.
type Result string

// The results a dial can have, in the words the diagnosis quotes.
const (
	OK          Result = "ok"
	Refused     Result = "refused"     // nothing listens (or a REJECT rule)
	TimedOut    Result = "timed out"   // no answer: a DROP rule, a NetworkPolicy, a hung host
	DNSFailure  Result = "DNS failure" // the peer's name does not resolve in the pod
	Unreachable Result = "no route"    // no route to the host or network
	Failed      Result = "failed"      // any other error
)

// Port is one of a peer's Nacos ports, derived from its main port as Nacos derives them.
type Port struct {
	Name   string
	Offset int
}

// Ports are the ports every member must reach on its peers.
var Ports = []Port{{"http", 0}, {"client-rpc", 1000}, {"peer-rpc", 1001}, {"raft", -1000}}

// Check is the state of one peer port as seen from this pod.
type Check struct {
	Peer   string `json:"peer"` // host as cluster.conf names it
	Port   int    `json:"port"`
	Name   string `json:"name"`
	Result Result `json:"result"`
	// Since is the first of the checks in a row that gave Result; Count how many.
	Since   time.Time `json:"since"`
	Count   int       `json:"count"`
	Checked time.Time `json:"checked"`
}

// Dialer opens a TCP connection (net.Dialer.DialContext in a pod; a harness may route it).
type Dialer func(ctx context.Context, network, address string) (net.Conn, error)

// Checker keeps the checks of one pod.
type Checker struct {
	Dial    Dialer
	Timeout time.Duration
	Clock   clock.PassiveClock

	mu     sync.Mutex
	checks map[string]*Check // by host:port
}

// Round dials every port of every peer at once (members are "host:port" of their main port)
// and records the results; peers no longer listed are forgotten.
func (c *Checker) Round(ctx context.Context, members []string) {
	type target struct {
		host string
		port int
		name string
	}
	var targets []target
	for _, m := range members {
		host, p, err := net.SplitHostPort(m)
		main, perr := strconv.Atoi(p)
		if err != nil || perr != nil {
			continue
		}
		for _, port := range Ports {
			targets = append(targets, target{host, main + port.Offset, port.Name})
		}
	}
	results := make([]Result, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.dial(ctx, net.JoinHostPort(t.host, strconv.Itoa(t.port)))
		}()
	}
	wg.Wait()
	now := c.Clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[string]bool{}
	if c.checks == nil {
		c.checks = map[string]*Check{}
	}
	for i, t := range targets {
		key := net.JoinHostPort(t.host, strconv.Itoa(t.port))
		seen[key] = true
		ch := c.checks[key]
		if ch == nil || ch.Result != results[i] {
			ch = &Check{Peer: t.host, Port: t.port, Name: t.name, Result: results[i], Since: now}
			c.checks[key] = ch
		}
		ch.Count++
		ch.Checked = now
	}
	for k := range c.checks {
		if !seen[k] {
			delete(c.checks, k)
		}
	}
}

func (c *Checker) dial(ctx context.Context, address string) Result {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	conn, err := c.Dial(ctx, "tcp", address)
	if err == nil {
		_ = conn.Close()
		return OK
	}
	return Classify(err)
}

// Classify names a dial error.
func Classify(err error) Result {
	var dns *net.DNSError
	var ne net.Error
	switch {
	case errors.As(err, &dns):
		return DNSFailure
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return Unreachable
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return TimedOut
	}
	return Failed
}

// Checks returns the checks, sorted by peer and port.
func (c *Checker) Checks() []Check {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Check, 0, len(c.checks))
	for _, ch := range c.checks {
		out = append(out, *ch)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Peer != out[j].Peer {
			return out[i].Peer < out[j].Peer
		}
		return out[i].Port < out[j].Port
	})
	return out
}

// Peers are the members of a cluster.conf other than self (the pod's own name is the first
// label of its address in hostname mode).
func Peers(members []string, self string) []string {
	var out []string
	for _, m := range members {
		host, _, _ := net.SplitHostPort(m)
		if first, _, _ := strings.Cut(host, "."); self != "" && first == self {
			continue
		}
		out = append(out, m)
	}
	return out
}
