// Package image checks the image `make image` wrote, as a user's runtime would see it: the
// index and its platforms, each config, the docker-loadable tarballs, and the amd64 binary
// run from the extracted layer (make test runs it after make image).
package image

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/nacos-operator/nacos-operator/internal/image"
)

func imageDir(t *testing.T) string {
	dir := os.Getenv("NACOS_OPERATOR_IMAGE_DIR")
	if dir == "" {
		t.Skip("make test runs this after make image, with NACOS_OPERATOR_IMAGE_DIR=bin/image")
	}
	return dir
}

func TestTheBuiltImage(t *testing.T) {
	dir := imageDir(t)
	idx, err := image.ReadLayout(filepath.Join(dir, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	platforms := map[string]v1.Descriptor{}
	for _, d := range m.Manifests {
		platforms[d.Platform.OS+"/"+d.Platform.Architecture] = d
	}
	for _, want := range []string{"linux/amd64", "linux/arm64"} {
		d, ok := platforms[want]
		if !ok {
			t.Fatalf("index has %v, no %s", m.Manifests, want)
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Config.User != image.User || len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != image.Entrypoint {
			t.Errorf("%s: user %q entrypoint %q", want, cf.Config.User, cf.Config.Entrypoint)
		}
		for _, l := range []string{image.LabelSource, image.LabelVersion, image.LabelRevision} {
			if cf.Config.Labels[l] == "" {
				t.Errorf("%s: label %s is empty (labels %v)", want, l, cf.Config.Labels)
			}
		}
		// The tarball `docker load` takes holds the same config, so the same image.
		tb, err := tarball.ImageFromPath(filepath.Join(dir, image.TarballName(*d.Platform)), nil)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := img.ConfigName()
		b, _ := tb.ConfigName()
		if a != b {
			t.Errorf("%s: tarball config %s, index config %s", want, b, a)
		}
		bin := extractManager(t, img)
		if want == "linux/"+runtime.GOARCH {
			runHelp(t, bin, []string{"--help"}, "-watch-namespaces", "-writer-image", "-leader-elect")
			runHelp(t, bin, []string{"cluster-conf-writer", "--help"}, "-source", "-target", "-period")
		} else if kind := elfMachine(t, bin); kind != 0xb7 { // EM_AARCH64
			t.Errorf("%s: binary's ELF machine is %#x, want aarch64", want, kind)
		}
	}
}

// extractManager writes the image's /manager to a temp file.
func extractManager(t *testing.T, img v1.Image) string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatal("no manager in the layer")
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name != "manager" {
			continue
		}
		out := filepath.Join(t.TempDir(), "manager")
		f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY, os.FileMode(h.Mode))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, tr); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// runHelp runs the binary as the image's entrypoint would and checks it exits 0 and names
// the flags.
func runHelp(t *testing.T, bin string, args []string, flags ...string) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", bin, args, err, out)
	}
	for _, f := range flags {
		if !strings.Contains(string(out), f) {
			t.Errorf("%v: help does not name %s:\n%s", args, f, out)
		}
	}
}

func elfMachine(t *testing.T, bin string) uint16 {
	t.Helper()
	b, err := os.ReadFile(bin)
	if err != nil || len(b) < 20 || string(b[1:4]) != "ELF" {
		t.Fatalf("%s is not an ELF file (%v)", bin, err)
	}
	return uint16(b[18]) | uint16(b[19])<<8
}

// TestTheDockerfileBuildsTheSameLayout keeps the Dockerfile, which CI cannot build (no
// daemon), in step with make image: the same user and entrypoint, and a COPY for every
// directory of the repository the manager's build reads.
func TestTheDockerfileBuildsTheSameLayout(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []string{"USER " + image.User + "\n", `ENTRYPOINT ["` + image.Entrypoint + `"]`, "COPY --from=build /out/manager " + image.Entrypoint + "\n", "CGO_ENABLED=0"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	var copied []string
	for _, line := range strings.Split(df, "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "COPY" {
			copied = append(copied, strings.TrimSuffix(f[1], "/"))
		}
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", ".")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dir := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // a module dependency, fetched by go mod download
		}
		top := strings.Split(rel, string(filepath.Separator))[0]
		if rel == "." {
			top = "*.go"
		}
		found := false
		for _, c := range copied {
			found = found || c == top
		}
		if !found {
			t.Errorf("the manager's build reads %s, which the Dockerfile does not COPY (copies %v)", rel, copied)
		}
	}
}
