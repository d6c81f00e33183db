package nacos

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"time"
)

// raftPortOffset is Nacos's rule for the Raft port: the main port minus 1000 (7848).
const raftPortOffset = 1000

// raftHold is how long a Raft connection must stay open, or take to answer, to count.
const raftHold = 200 * time.Millisecond

// RaftPortOpen tells whether the member's Raft port accepts a TCP connection and does not
// drop it at once: evidence, for a member whose main port is closed, that its JVM runs and
// its JRaft server listens. Measured on real 2.5.1, JRaft's server (gRPC) speaks first, its
// HTTP/2 settings frame arriving within milliseconds; a server that waits for the client
// keeps the connection open. A refused, reset or closed connection, or one never answered
// (a firewall dropping packets), is not open. It costs at most the client timeout (capped
// at a second) plus raftHold. Silence counts as open because a server may wait for the
// client; the price is that a proxy accepting connections locally (a service-mesh sidecar
// on the operator's pod) makes a dropped port look open, so the operator's pod should
// carry none (docs/diagnosis.md).
func (c *Client) RaftPortOpen(ctx context.Context) bool {
	host, port, err := net.SplitHostPort(c.address)
	if err != nil {
		return false
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= raftPortOffset {
		return false
	}
	d := net.Dialer{Timeout: min(c.opts.Timeout, time.Second)}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(p-raftPortOffset)))
	if err != nil {
		return false
	}
	defer func() { _ = conn.Close() }()
	if err := conn.SetReadDeadline(time.Now().Add(raftHold)); err != nil {
		return false
	}
	n, err := conn.Read(make([]byte, 1))
	return n > 0 || errors.Is(err, os.ErrDeadlineExceeded)
}
