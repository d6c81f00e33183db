// Command nacos-sim runs one simulated Nacos member (see package sim) until SIGTERM.
//
//	nacos-sim --address 127.0.0.2:8848 --home /tmp/m2 --version 2.5.1 --warmup
//
// The server identity value and user passwords come from the environment
// (NACOS_AUTH_IDENTITY_VALUE, NACOS_SIM_USERS="user:password,..."), never from flags, so they
// do not show in process listings. Change faults at run time with
// PUT http://<address>/_sim/v1/control, e.g. {"faults":{"distroStuck":true}}.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "nacos-sim:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	var cfg sim.Config
	var storage string
	var fast bool
	fs := flag.NewFlagSet("nacos-sim", flag.ContinueOnError)
	fs.StringVar(&cfg.Version, "version", "2.5.1", "Nacos version to simulate (2.3+ or 3.0)")
	fs.StringVar(&cfg.Address, "address", "", "the member's own address as cluster.conf lists it (host:port)")
	fs.StringVar(&cfg.Bind, "bind", "", "listen address of the main port (default: --address)")
	fs.StringVar(&cfg.ConsoleBind, "console-bind", "", "3.x console listen address (e.g. 127.0.0.2:8080)")
	fs.StringVar(&cfg.Home, "home", "", "nacos.home: conf/cluster.conf and data/ live here")
	fs.StringVar(&cfg.MemberList, "member-list", "", "nacos.member.list, used when conf/cluster.conf is absent")
	fs.BoolVar(&cfg.Standalone, "standalone", false, "run in standalone mode")
	fs.BoolVar(&cfg.Warmup, "warmup", true, "nacos.naming.data.warmup")
	fs.StringVar(&storage, "storage", "embedded", "embedded or mysql")
	fs.BoolVar(&cfg.Auth.Enabled, "auth", false, "nacos.core.auth.enabled")
	fs.StringVar(&cfg.Auth.IdentityKey, "identity-key", "", "server identity header name (value from NACOS_AUTH_IDENTITY_VALUE)")
	fs.BoolVar(&fast, "fast", false, "use test periods (milliseconds) instead of Nacos's defaults")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("parse flags: %w", err)
	}
	cfg.Storage = sim.Storage(storage)
	cfg.Auth.IdentityValue = os.Getenv("NACOS_AUTH_IDENTITY_VALUE")
	cfg.Auth.Users = map[string]string{}
	for _, pair := range strings.Split(os.Getenv("NACOS_SIM_USERS"), ",") {
		if user, pass, ok := strings.Cut(pair, ":"); ok {
			cfg.Auth.Users[user] = pass
		}
	}
	if fast {
		cfg.Periods = sim.FastPeriods()
	}
	m, err := sim.New(cfg)
	if err != nil {
		return fmt.Errorf("configure member: %w", err)
	}
	if err := m.Start(); err != nil {
		return fmt.Errorf("start member: %w", err)
	}
	fmt.Fprintf(os.Stderr, "nacos-sim %s serving %s\n", cfg.Version, m.Address())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	m.Stop()
	return nil
}
