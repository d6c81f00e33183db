package nacos

import (
	"context"
	"net"
	"strconv"
	"testing"
)

// raftListener listens on a free loopback port whose main port (plus 1000) the client is
// given; serve decides what happens to each accepted connection.
func raftListener(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	for port := 20000; port < 20100; port++ {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		t.Cleanup(func() { _ = l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				serve(c)
			}
		}()
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(port+raftPortOffset))
	}
	t.Fatal("no free port in 20000-20099")
	return ""
}

func TestRaftPortOpenForAConnectionNotDroppedAtOnce(t *testing.T) {
	held := make(chan net.Conn, 4)
	t.Cleanup(func() {
		close(held)
		for c := range held {
			_ = c.Close()
		}
	})
	cases := []struct {
		name    string
		address string
		want    bool
	}{
		{name: "accepted and kept (a listening JRaft server)", address: raftListener(t, func(c net.Conn) { held <- c }), want: true},
		{name: "accepted and reset at once (the simulator's Raft partition)", address: raftListener(t, func(c net.Conn) {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = c.Close()
		})},
		// Measured on real 2.5.1: JRaft's gRPC server sends its HTTP/2 settings frame at once
		// (the first byte read is 0x00).
		{name: "accepted and answered first (JRaft's gRPC server)", address: raftListener(t, func(c net.Conn) {
			_, _ = c.Write([]byte{0, 0, 6, 4, 0, 0, 0, 0, 0})
			held <- c
		}), want: true},
		{name: "refused: nothing listens", address: func() string {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			port := l.Addr().(*net.TCPAddr).Port
			_ = l.Close()
			return net.JoinHostPort("127.0.0.1", strconv.Itoa(port+raftPortOffset))
		}()},
		{name: "no port in the address", address: "127.0.0.1"},
		{name: "a main port with no Raft port below it", address: "127.0.0.1:80"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := New(tc.address, Options{}).RaftPortOpen(context.Background()); got != tc.want {
				t.Fatalf("RaftPortOpen(%s) = %v, want %v", tc.address, got, tc.want)
			}
		})
	}
}
