package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/utils/clock"

	"github.com/nacos-operator/nacos-operator/internal/confwriter"
	"github.com/nacos-operator/nacos-operator/internal/memberlog"
	"github.com/nacos-operator/nacos-operator/internal/peercheck"
	"github.com/nacos-operator/nacos-operator/internal/podagent"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// writerCommand is the name of the manager sub-command that runs in every member pod as a
// native sidecar: it delivers cluster.conf changes (internal/confwriter) and serves the
// pod's evidence, peer dials and known log lines (internal/podagent).
const writerCommand = "cluster-conf-writer"

type writerFlags struct {
	source, target, listen, logs, self string
	period, checkPeriod, dialTimeout   time.Duration
	peerChecks                         bool
}

func parseWriterFlags(args []string) (writerFlags, error) {
	var f writerFlags
	fs := flag.NewFlagSet(writerCommand, flag.ContinueOnError)
	fs.StringVar(&f.source, "source", "/etc/nacos/cluster.conf", "member list rendered by the operator (ConfigMap volume)")
	fs.StringVar(&f.target, "target", "/home/nacos/conf/cluster.conf", "cluster.conf the Nacos member watches")
	fs.DurationVar(&f.period, "period", 2*time.Second, "how often to compare the two")
	fs.StringVar(&f.listen, "evidence-listen", fmt.Sprintf(":%d", resource.PortEvidence), "address of the read-only evidence endpoint; empty: none")
	fs.BoolVar(&f.peerChecks, "peer-checks", true, "dial every peer's Nacos ports from this pod")
	fs.StringVar(&f.logs, "logs", "/home/nacos/logs", "the member's logs directory to follow for known lines; empty: none")
	fs.StringVar(&f.self, "self", os.Getenv("POD_NAME"), "this pod's name (not dialed); default $POD_NAME")
	fs.DurationVar(&f.checkPeriod, "check-period", 10*time.Second, "how often to dial the peers and read the logs")
	fs.DurationVar(&f.dialTimeout, "dial-timeout", 2*time.Second, "timeout of one dial")
	if err := fs.Parse(args); err != nil {
		return f, fmt.Errorf("parse flags: %w", err) // wraps flag.ErrHelp for -h, which main exits 0 on
	}
	for name, d := range map[string]time.Duration{"--period": f.period, "--check-period": f.checkPeriod, "--dial-timeout": f.dialTimeout} {
		if d <= 0 {
			return f, fmt.Errorf("%s must be positive, got %s", name, d)
		}
	}
	if f.self == "" {
		f.self, _ = os.Hostname()
	}
	return f, nil
}

func runWriter(args []string) error {
	f, err := parseWriterFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if f.listen != "" {
		agent := newAgent(f)
		srv := &http.Server{Addr: f.listen, Handler: agent.Handler(), ReadHeaderTimeout: 5 * time.Second}
		l, err := net.Listen("tcp", f.listen)
		if err != nil {
			return fmt.Errorf("listen for the evidence endpoint on %s: %w", f.listen, err)
		}
		go agent.Run(ctx)
		go func() {
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				fmt.Fprintf(os.Stderr, "%s: evidence endpoint: %v\n", writerCommand, err)
			}
		}()
		defer func() { _ = srv.Close() }()
	}
	confwriter.Run(ctx, f.source, f.target, f.period, clock.RealClock{}, func(wrote bool, err error) {
		switch {
		case err != nil:
			fmt.Fprintf(os.Stderr, "%s: %v\n", writerCommand, err)
		case wrote:
			fmt.Fprintf(os.Stderr, "%s: wrote the new member list to %s\n", writerCommand, f.target)
		}
	})
	return nil
}

func newAgent(f writerFlags) *podagent.Agent {
	a := &podagent.Agent{Self: f.self, Period: f.checkPeriod, Clock: clock.RealClock{},
		Members: func() ([]string, error) {
			data, err := os.ReadFile(f.source)
			if err != nil {
				return nil, fmt.Errorf("read the member list: %w", err)
			}
			return resource.ParseMemberSet(string(data))
		}}
	if f.peerChecks {
		var d net.Dialer
		a.Checker = &peercheck.Checker{Dial: d.DialContext, Timeout: f.dialTimeout, Clock: clock.RealClock{}}
	}
	if f.logs != "" {
		a.Follower = memberlog.NewFollower(f.logs, clock.RealClock{})
	}
	return a
}
