// Package sim is a simulated Nacos server member, faithful to what the operator observes of a
// real one (docs/nacos-api.md and shared/reference/nacos-server.md, "Simulator contract").
//
// One Member is an HTTP server on one address. Tests bind 127.0.0.N:8848, so a three-member
// cluster is three loopback IPs on the same port, exactly like pods. Members talk to each
// other over a private HTTP path (/_sim/...) that stands in for Nacos's cluster gRPC port:
// member reports and Distro snapshot requests. Everything else is the public HTTP surface of
// Nacos 2.x (2.3 to 2.5) or 3.0, with its status codes, content types and bodies, including
// the traps (HTTP 200 bodies that mean "not ready", 503 text from the naming filter, 410s).
//
// Behaviour reproduced, each from the Nacos source named in docs/nacos-api.md:
//
//  1. cluster.conf is a real file in <home>/conf, read at start and reloaded only on a
//     directory event whose file name contains "cluster.conf" (so a ConfigMap-style ..data
//     symlink swap is not seen). A parse failure or an empty file keeps the old membership.
//     Self is appended when missing (a phantom member when its name differs), and the member
//     rewrites the file (#timestamp header, sorted addresses) after a membership change.
//  2. Membership: members parsed from the file start UP with no version. Every report period
//     a member reports itself to one peer, round robin; the peer marks it UP and stores its
//     extendInfo with a fresh lastRefreshTime. Failures make a peer SUSPICIOUS, then DOWN
//     after more than FailAccessCnt failures or at once on "connection refused".
//  3. Distro: initialization waits for a non-empty peer list (forever on a lone cluster
//     member), then loads a snapshot from the first healthy, connected peer; without one it
//     retries after DistroRetryDelay. Naming is UP when warmup is off (2.4.2+), or when CP is
//     ready and Distro is initialized; DOWN messages are Nacos's texts.
//  4. Raft: per group, a leader exists while a majority of the group's peers are alive; an
//     election (after ElectionTimeout) raises the term; peers dropped from cluster.conf leave
//     every group; the group configuration persists in the data directory, so a member that
//     comes back under a new address (IP mode) leaves its old address behind as a stale peer.
//
// Every period is configurable and the clock is injectable, so tests run in milliseconds.
// Faults (hang, slow, 500s, garbage bodies, Distro stuck, no Raft leader, auth, version,
// warmup) can be set per member while it runs.
package sim
