// Command image builds and pushes the operator image without a Docker daemon (make image,
// make image-push; see docs/image.md). The work is in internal/image.
//
//	go run ./hack/image build -platform linux/amd64=bin/linux_amd64/manager ... -out bin/image
//	go run ./hack/image push -layout bin/image/oci -ref registry.example.com/nacos-operator:v0.1.0
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nacos-operator/nacos-operator/internal/image"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: image build|push [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = build(os.Args[2:])
	case "push":
		err = push(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q: want build or push", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

type platforms map[string]string

func (p platforms) String() string { return fmt.Sprint(map[string]string(p)) }
func (p platforms) Set(v string) error {
	plat, bin, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want <os>/<arch>=<binary>, got %q", v)
	}
	p[plat] = bin
	return nil
}

func build(args []string) error {
	s := image.Spec{Binaries: platforms{}}
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.Var(platforms(s.Binaries), "platform", "<os>/<arch>=<static binary>, once per platform")
	fs.StringVar(&s.CACerts, "ca-certs", "/etc/ssl/certs/ca-certificates.crt", "CA bundle copied into the image")
	fs.StringVar(&s.Source, "source", "", "org.opencontainers.image.source label")
	fs.StringVar(&s.Version, "version", "", "org.opencontainers.image.version label")
	fs.StringVar(&s.Revision, "revision", "", "org.opencontainers.image.revision label")
	epoch := fs.String("created", os.Getenv("SOURCE_DATE_EPOCH"), "creation time, Unix seconds (the commit time keeps builds reproducible)")
	ref := fs.String("ref", "nacos-operator:latest", "the image's name in the tarballs and the OCI layout")
	out := fs.String("out", "bin/image", "output directory: oci/ (the index) and one docker-loadable tarball per platform")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	if *epoch != "" {
		sec, err := strconv.ParseInt(*epoch, 10, 64)
		if err != nil {
			return fmt.Errorf("-created %q: want Unix seconds: %w", *epoch, err)
		}
		s.Created = time.Unix(sec, 0).UTC()
	}
	idx, err := image.Build(s)
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	if err := image.WriteLayout(filepath.Join(*out, "oci"), idx, *ref); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	files, err := image.WriteTarballs(*out, idx, *ref)
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	d, err := idx.Digest()
	if err != nil {
		return fmt.Errorf("index digest: %w", err)
	}
	fmt.Printf("image %s (index %s): %s/oci, %s\n", *ref, d, *out, strings.Join(files, ", "))
	return nil
}

func push(args []string) error {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	dir := fs.String("layout", "bin/image/oci", "the OCI layout `make image` wrote")
	ref := fs.String("ref", "", "where to push, such as registry.example.com/nacos-operator:v0.1.0")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("push: %w", err)
	}
	if *ref == "" {
		return fmt.Errorf("-ref is required (make image-push REGISTRY=<registry>)")
	}
	idx, err := image.ReadLayout(*dir)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	r, err := image.Push(idx, *ref)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	d, _ := idx.Digest()
	fmt.Printf("pushed %s@%s\n", r, d)
	return nil
}
