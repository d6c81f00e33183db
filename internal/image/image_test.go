package image

import (
	"archive/tar"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// spec is a two-platform spec whose "binaries" are files naming their platform, so a test
// can tell which one landed in which image.
func spec(t *testing.T) Spec {
	t.Helper()
	dir := t.TempDir()
	s := Spec{Binaries: map[string]string{}, Source: "https://github.com/nacos-operator/nacos-operator", Version: "v0.1.0", Revision: "abc123", Created: time.Unix(1700000000, 0).UTC()}
	for _, p := range []string{"linux/arm64", "linux/amd64"} {
		f := filepath.Join(dir, strings.ReplaceAll(p, "/", "_"))
		if err := os.WriteFile(f, []byte("binary for "+p), 0o755); err != nil {
			t.Fatal(err)
		}
		s.Binaries[p] = f
	}
	s.CACerts = filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(s.CACerts, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// Files lists a single-layer image's file system: path -> (mode, uid, body).
type file struct {
	mode int64
	uid  int
	body string
}

func Files(t *testing.T, img v1.Image) map[string]file {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("image has %d layers, want 1", len(layers))
	}
	// A docker-loadable tarball re-labels the layer as Docker's; the index keeps OCI's.
	if mt, _ := layers[0].MediaType(); mt != types.OCILayer && mt != types.DockerLayer {
		t.Errorf("layer media type %s", mt)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()
	out := map[string]file{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out[h.Name] = file{mode: h.Mode, uid: h.Uid, body: string(b)}
	}
}

func TestBuildMakesAnIndexOfNonRootImagesPerPlatform(t *testing.T) {
	s := spec(t)
	idx, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	if mt, _ := idx.MediaType(); mt != types.OCIImageIndex {
		t.Errorf("index media type %s, want %s", mt, types.OCIImageIndex)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var arches []string
	for _, d := range m.Manifests {
		arches = append(arches, d.Platform.OS+"/"+d.Platform.Architecture)
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.OS != d.Platform.OS || cf.Architecture != d.Platform.Architecture {
			t.Errorf("%s: config says %s/%s", arches[len(arches)-1], cf.OS, cf.Architecture)
		}
		if cf.Config.User != "65532:65532" || strings.Join(cf.Config.Entrypoint, " ") != "/manager" {
			t.Errorf("user %q entrypoint %q, want 65532:65532 and /manager", cf.Config.User, cf.Config.Entrypoint)
		}
		want := map[string]string{LabelSource: s.Source, LabelVersion: "v0.1.0", LabelRevision: "abc123", LabelTitle: "nacos-operator", LabelLicenses: "Apache-2.0"}
		for k, v := range want {
			if cf.Config.Labels[k] != v || d.Annotations[k] != v {
				t.Errorf("label %s = %q, annotation %q; want %q", k, cf.Config.Labels[k], d.Annotations[k], v)
			}
		}
		if !cf.Created.Equal(s.Created) {
			t.Errorf("created %s, want %s", cf.Created.Time, s.Created)
		}
		layers, _ := img.Layers()
		if mt, _ := layers[0].MediaType(); mt != types.OCILayer {
			t.Errorf("layer media type %s, want %s", mt, types.OCILayer)
		}
		files := Files(t, img)
		if got := files["manager"]; got.body != "binary for "+arches[len(arches)-1] || got.mode != 0o755 {
			t.Errorf("manager in %s: %+v", arches[len(arches)-1], got)
		}
		if !strings.Contains(files["etc/passwd"].body, "nonroot:x:65532:65532:") || files["etc/ssl/certs/ca-certificates.crt"].body == "" {
			t.Errorf("passwd %q, certs %q", files["etc/passwd"].body, files["etc/ssl/certs/ca-certificates.crt"].body)
		}
		if files["home/nonroot/"].uid != 65532 || files["tmp/"].mode != 0o1777 {
			t.Errorf("home %+v, tmp %+v", files["home/nonroot/"], files["tmp/"])
		}
	}
	if strings.Join(arches, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("platforms %v, want linux/amd64,linux/arm64 in that order", arches)
	}
}

func TestBuildIsReproducible(t *testing.T) {
	s := spec(t)
	a, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da != db {
		t.Errorf("same inputs gave %s and %s", da, db)
	}
	s.Revision = "other"
	c, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	if dc, _ := c.Digest(); dc == da {
		t.Errorf("a different revision gave the same digest %s", dc)
	}
}

func TestBuildRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		mutate     func(*Spec)
	}{
		{"no binaries", "no binary given", func(s *Spec) { s.Binaries = nil }},
		{"bad platform", `platform "amd64": want <os>/<arch>`, func(s *Spec) { s.Binaries = map[string]string{"amd64": "x"} }},
		{"missing binary", "image for linux/amd64: read the binary", func(s *Spec) { s.Binaries["linux/amd64"] = "/nonexistent" }},
		{"missing certs", "read CA certificates", func(s *Spec) { s.CACerts = "/nonexistent" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := spec(t)
			tc.mutate(&s)
			_, err := Build(s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestLayoutTarballsAndPushRoundTrip(t *testing.T) {
	idx, err := Build(spec(t))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := idx.Digest()
	dir := t.TempDir()
	if err := WriteLayout(filepath.Join(dir, "oci"), idx, "nacos-operator:v0.1.0"); err != nil {
		t.Fatal(err)
	}
	back, err := ReadLayout(filepath.Join(dir, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := back.Digest(); got != want {
		t.Errorf("layout holds %s, built %s", got, want)
	}

	files, err := WriteTarballs(dir, back, "nacos-operator:v0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || filepath.Base(files[0]) != "nacos-operator-linux-amd64.tar" {
		t.Fatalf("tarballs %v", files)
	}
	tag, _ := name.NewTag("nacos-operator:v0.1.0")
	img, err := tarball.ImageFromPath(files[1], &tag)
	if err != nil {
		t.Fatal(err)
	}
	if got := Files(t, img)["manager"].body; got != "binary for linux/arm64" {
		t.Errorf("arm64 tarball holds %q", got)
	}

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	ref := strings.TrimPrefix(srv.URL, "http://") + "/nacos-operator:v0.1.0"
	if _, err := Push(back, ref); err != nil {
		t.Fatal(err)
	}
	r, _ := name.ParseReference(ref)
	pulled, err := remote.Index(r)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := pulled.Digest(); got != want {
		t.Errorf("registry holds %s, pushed %s", got, want)
	}
	if _, err := Push(back, "Not A Reference"); err == nil || !strings.Contains(err.Error(), `image reference "Not A Reference"`) {
		t.Errorf("bad reference: %v", err)
	}
}
