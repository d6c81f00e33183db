package peercheck

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// Real sockets on loopback: one port listens, one is closed, one name does not resolve, and
// one address is routed to a dialer that never answers (a DROP rule's effect).
func TestRoundClassifiesRealDials(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	open := l.Addr().(*net.TCPAddr).Port
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	_ = closed.Close()

	clk := clocktesting.NewFakeClock(time.Date(2026, 12, 4, 2, 7, 34, 0, time.UTC))
	var d net.Dialer
	dropped := net.JoinHostPort("127.0.0.1", strconv.Itoa(closedPort+1000))
	c := &Checker{Timeout: 200 * time.Millisecond, Clock: clk, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		if address == dropped {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return d.DialContext(ctx, network, address)
	}}
	// The main port is the listening one; its client-rpc (+1000) etc. are other ports.
	members := []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(open)), net.JoinHostPort("127.0.0.1", strconv.Itoa(closedPort)), "no-such-peer.invalid:8848"}
	c.Round(context.Background(), members)
	clk.Step(10 * time.Second)
	c.Round(context.Background(), members)
	got := map[string]Check{}
	for _, ch := range c.Checks() {
		got[net.JoinHostPort(ch.Peer, strconv.Itoa(ch.Port))] = ch
	}
	want := map[string]Result{
		members[0]: OK, members[1]: Refused, dropped: TimedOut, "no-such-peer.invalid:8848": DNSFailure, "no-such-peer.invalid:7848": DNSFailure,
	}
	for addr, r := range want {
		ch, ok := got[addr]
		if !ok || ch.Result != r || ch.Count != 2 || !ch.Since.Equal(time.Date(2026, 12, 4, 2, 7, 34, 0, time.UTC)) {
			t.Errorf("%s: %+v, want %s twice in a row since 02:07:34", addr, ch, r)
		}
	}
	if len(got) != 4*len(members) {
		t.Errorf("%d checks, want %d (4 ports of %d members)", len(got), 4*len(members), len(members))
	}
	// A result that changes starts a new run; a member no longer listed is forgotten.
	_ = l.Close()
	clk.Step(10 * time.Second)
	c.Round(context.Background(), members[:1])
	for _, ch := range c.Checks() {
		if ch.Peer == "no-such-peer.invalid" {
			t.Errorf("removed peer still checked: %+v", ch)
		}
		if ch.Port == open && (ch.Result != Refused || ch.Count != 1 || !ch.Since.Equal(clk.Now())) {
			t.Errorf("closed listener: %+v, want refused once, since now", ch)
		}
	}
}

func TestPeersSkipsSelf(t *testing.T) {
	members := []string{"nacos-0.h.ns.svc.cluster.local:8848", "nacos-1.h.ns.svc.cluster.local:8848", "nacos-10.h.ns.svc.cluster.local:8848"}
	got := Peers(members, "nacos-1")
	if len(got) != 2 || got[0] != members[0] || got[1] != members[2] {
		t.Fatalf("peers of nacos-1: %v", got)
	}
}
