// Command sandbox runs nacos-operator on this machine without a Kubernetes cluster (make
// sandbox): a local control plane, a fake kubelet with simulated (or, with --real, real)
// Nacos members, and the operator binary; then it applies config/samples' cluster and waits
// until Ctrl-C. `sandbox fault <pod> <fault>` changes a member of the running sandbox.
//
//	sandbox up [--dir D] [--operator bin/manager] [--real] [--sample FILE]
//	sandbox fault [--dir D] [-n NAMESPACE] POD distro-stuck|hang|partition|crash|heal
//	sandbox demo [--dir D] [--operator bin/manager] [--markdown docs/demo.md]
//
// `sandbox demo` (make demo) runs the scripted story of docs/demo.md on a fresh sandbox.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nacos-operator/nacos-operator/test/sandbox"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

func defaultDir() string {
	if d := os.Getenv("SANDBOX_DIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "nacos-operator-sandbox")
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: sandbox up|fault|demo ... (see `sandbox up -h`, `sandbox fault -h`, `sandbox demo -h`)")
	}
	switch args[0] {
	case "up":
		return up(args[1:])
	case "fault":
		return fault(args[1:])
	case "demo":
		return demo(args[1:])
	}
	return fmt.Errorf("unknown command %q: want up, fault or demo", args[0])
}

func up(args []string) error {
	var o sandbox.UpOptions
	fs := flag.NewFlagSet("sandbox up", flag.ContinueOnError)
	fs.StringVar(&o.Dir, "dir", defaultDir(), "directory of the sandbox's kubeconfig, logs and pods (env SANDBOX_DIR); removed on exit")
	fs.StringVar(&o.Operator, "operator", "", "operator binary (default: go build main.go into the sandbox directory)")
	fs.BoolVar(&o.Real, "real", os.Getenv("NACOS") == "real", "run real Nacos JVMs (root, make nacos-server; env NACOS=real)")
	fs.StringVar(&o.Sample, "sample", "config/samples/nacos_v1alpha1_nacoscluster.yaml", "manifest applied once the operator runs (empty: none)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("sandbox up: %w", err)
	}
	if err := sandbox.Up(o); err != nil {
		return fmt.Errorf("sandbox up: %w", err)
	}
	return nil
}

func fault(args []string) error {
	fs := flag.NewFlagSet("sandbox fault", flag.ContinueOnError)
	dir := fs.String("dir", defaultDir(), "directory of the running sandbox (env SANDBOX_DIR)")
	ns := fs.String("n", "default", "namespace of the pod")
	fs.Usage = func() {
		names := make([]string, 0, len(sandbox.Faults()))
		for _, f := range sandbox.Faults() {
			names = append(names, string(f))
		}
		_, _ = fmt.Fprintf(fs.Output(), "usage: sandbox fault [-n NAMESPACE] POD %s\n", strings.Join(names, "|"))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("sandbox fault: %w", err)
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return errors.New("want a pod and a fault")
	}
	f, err := sandbox.ParseFault(fs.Arg(1))
	if err != nil {
		return fmt.Errorf("sandbox fault: %w", err)
	}
	msg, err := sandbox.SendFault(*dir, *ns, fs.Arg(0), f)
	if err != nil {
		return fmt.Errorf("sandbox fault: %w", err)
	}
	fmt.Println(msg)
	return nil
}

func demo(args []string) error {
	var o sandbox.DemoOptions
	fs := flag.NewFlagSet("sandbox demo", flag.ContinueOnError)
	fs.StringVar(&o.Dir, "dir", defaultDir(), "directory of the sandbox (env SANDBOX_DIR); removed on exit")
	fs.StringVar(&o.Operator, "operator", "", "operator binary (default: go build main.go into the sandbox directory)")
	fs.StringVar(&o.Markdown, "markdown", "", "also write the story as Markdown to this file (docs/demo.md)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("sandbox demo: %w", err)
	}
	if err := sandbox.Demo(o); err != nil {
		return fmt.Errorf("sandbox demo: %w", err)
	}
	return nil
}
