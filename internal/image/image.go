// Package image builds the operator's container image without a Docker daemon: an empty base,
// one layer holding the static binary, CA certificates and a passwd entry for the non-root
// user, and an image index with one manifest per platform. The same image runs the manager
// and, in every member pod, the cluster.conf writer (resource.Inputs.WriterImage), so a user
// needs only one image. Nothing here talks to a daemon or a registry except Push.
package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	// Entrypoint is where the binary lives in the image; config/manager runs it as the
	// command, and the member pods' writer sidecar runs `/manager cluster-conf-writer`.
	Entrypoint = "/manager"
	// User is the non-root user and group the image runs as (the distroless "nonroot" ids,
	// so runAsNonRoot needs no numeric override).
	User = "65532:65532"
	// CACertsPath is where Go's crypto/x509 looks first on Linux.
	CACertsPath = "/etc/ssl/certs/ca-certificates.crt"

	// RefName names the image inside an OCI layout's index.json.
	RefName = "org.opencontainers.image.ref.name"
)

// OCI annotation keys (image-spec annotations.md), set as config labels and as annotations
// of each index entry.
const (
	LabelSource   = "org.opencontainers.image.source"
	LabelVersion  = "org.opencontainers.image.version"
	LabelRevision = "org.opencontainers.image.revision"
	LabelTitle    = "org.opencontainers.image.title"
	LabelLicenses = "org.opencontainers.image.licenses"
)

// Spec is what goes into the image.
type Spec struct {
	// Binaries maps a platform ("linux/amd64") to the static binary built for it.
	Binaries map[string]string
	// CACerts is the host's CA bundle, copied to CACertsPath.
	CACerts string
	// Source, Version and Revision become the OCI labels.
	Source, Version, Revision string
	// Created is the image's creation time and every file's mtime. A fixed value (the
	// commit time) makes the build reproducible: the same inputs give the same digest.
	Created time.Time
}

// Platforms are the spec's platforms, sorted so the index is stable.
func (s Spec) Platforms() ([]v1.Platform, error) {
	var out []v1.Platform
	for p := range s.Binaries {
		os, arch, ok := strings.Cut(p, "/")
		if !ok || os == "" || arch == "" || strings.Contains(arch, "/") {
			return nil, fmt.Errorf("platform %q: want <os>/<arch>, such as linux/amd64", p)
		}
		out = append(out, v1.Platform{OS: os, Architecture: arch})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Architecture < out[j].Architecture })
	return out, nil
}

// Build makes the image index: one image per platform, each a single layer on nothing.
func Build(s Spec) (v1.ImageIndex, error) {
	platforms, err := s.Platforms()
	if err != nil {
		return nil, err
	}
	if len(platforms) == 0 {
		return nil, fmt.Errorf("no binary given: nothing to build")
	}
	if s.Created.IsZero() {
		s.Created = time.Unix(0, 0).UTC()
	}
	certs, err := os.ReadFile(s.CACerts)
	if err != nil {
		return nil, fmt.Errorf("read CA certificates (install Debian's ca-certificates or pass another bundle): %w", err)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range platforms {
		path := s.Binaries[p.OS+"/"+p.Architecture]
		img, err := platformImage(s, p, path, certs)
		if err != nil {
			return nil, fmt.Errorf("image for %s/%s: %w", p.OS, p.Architecture, err)
		}
		pl := p
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &pl, Annotations: s.labels()},
		})
	}
	return idx, nil
}

func platformImage(s Spec, p v1.Platform, binary string, certs []byte) (v1.Image, error) {
	bin, err := os.ReadFile(binary)
	if err != nil {
		return nil, fmt.Errorf("read the binary: %w", err)
	}
	layerTar, err := rootfs(bin, certs, s.Created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("make the layer: %w", err)
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	cfg, err := base.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("read the empty config: %w", err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Variant = p.OS, p.Architecture, p.Variant
	cfg.Config = v1.Config{
		User:       User,
		Entrypoint: []string{Entrypoint},
		WorkingDir: "/",
		Env:        []string{"PATH=/", "SSL_CERT_FILE=" + CACertsPath},
		Labels:     s.labels(),
	}
	img, err := mutate.ConfigFile(base, cfg)
	if err != nil {
		return nil, fmt.Errorf("set the config: %w", err)
	}
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:   layer,
		History: v1.History{CreatedBy: "nacos-operator hack/image: binary, CA certificates, passwd", Created: v1.Time{Time: s.Created}},
	})
	if err != nil {
		return nil, fmt.Errorf("add the layer: %w", err)
	}
	img, err = mutate.CreatedAt(img, v1.Time{Time: s.Created})
	if err != nil {
		return nil, fmt.Errorf("set the creation time: %w", err)
	}
	return img, nil
}

func (s Spec) labels() map[string]string {
	l := map[string]string{LabelTitle: "nacos-operator", LabelLicenses: "Apache-2.0"}
	for k, v := range map[string]string{LabelSource: s.Source, LabelVersion: s.Version, LabelRevision: s.Revision} {
		if v != "" {
			l[k] = v
		}
	}
	return l
}

// passwd and group name the non-root user, so tools and Go's os/user resolve it.
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group  = "root:x:0:\nnonroot:x:65532:\n"
)

// rootfs is the layer's tar: the whole file system of the image.
func rootfs(bin, certs []byte, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	entries := []struct {
		name string
		mode int64
		uid  int
		body []byte
		dir  bool
	}{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, body: []byte(group)},
		{name: "etc/passwd", mode: 0o644, body: []byte(passwd)},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, body: certs},
		{name: "home/", mode: 0o755, dir: true},
		{name: "home/nonroot/", mode: 0o700, uid: 65532, dir: true},
		{name: "manager", mode: 0o755, body: bin},
		{name: "tmp/", mode: 0o1777, dir: true},
	}
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.uid, ModTime: mtime, Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close the layer: %w", err)
	}
	return buf.Bytes(), nil
}
