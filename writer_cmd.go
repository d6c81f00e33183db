package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/utils/clock"

	"github.com/nacos-operator/nacos-operator/internal/confwriter"
)

// writerCommand is the name of the manager sub-command that runs in every member pod as a
// native sidecar and delivers cluster.conf changes (see internal/confwriter).
const writerCommand = "cluster-conf-writer"

func runWriter(args []string) error {
	fs := flag.NewFlagSet(writerCommand, flag.ContinueOnError)
	source := fs.String("source", "/etc/nacos/cluster.conf", "member list rendered by the operator (ConfigMap volume)")
	target := fs.String("target", "/home/nacos/conf/cluster.conf", "cluster.conf the Nacos member watches")
	period := fs.Duration("period", 2*time.Second, "how often to compare the two")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("parse flags: %w", err) // wraps flag.ErrHelp for -h, which main exits 0 on
	}
	if *period <= 0 {
		return fmt.Errorf("--period must be positive, got %s", *period)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	confwriter.Run(ctx, *source, *target, *period, clock.RealClock{}, func(wrote bool, err error) {
		switch {
		case err != nil:
			fmt.Fprintf(os.Stderr, "cluster-conf-writer: %v\n", err)
		case wrote:
			fmt.Fprintf(os.Stderr, "cluster-conf-writer: wrote the new member list to %s\n", *target)
		}
	})
	return nil
}
