package image

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// WriteLayout writes the index as an OCI image layout in dir (replacing what was there),
// tagged ref inside index.json, as `skopeo copy oci:<dir>:<tag>` and containerd expect.
func WriteLayout(dir string, idx v1.ImageIndex, ref string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("start the OCI layout in %s: %w", dir, err)
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{RefName: ref})); err != nil {
		return fmt.Errorf("write the index to the OCI layout: %w", err)
	}
	return nil
}

// ReadLayout reads back the index WriteLayout wrote.
func ReadLayout(dir string) (v1.ImageIndex, error) {
	outer, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("read the OCI layout in %s: %w", dir, err)
	}
	m, err := outer.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("read index.json in %s: %w", dir, err)
	}
	if len(m.Manifests) != 1 {
		return nil, fmt.Errorf("%s/index.json holds %d entries, want the one image index WriteLayout writes", dir, len(m.Manifests))
	}
	idx, err := outer.ImageIndex(m.Manifests[0].Digest)
	if err != nil {
		return nil, fmt.Errorf("read the image index %s: %w", m.Manifests[0].Digest, err)
	}
	return idx, nil
}

// TarballName is the docker-loadable tarball's file name for a platform.
func TarballName(p v1.Platform) string {
	return fmt.Sprintf("nacos-operator-%s-%s.tar", p.OS, p.Architecture)
}

// WriteTarballs writes, for each platform of the index, a tarball `docker load` (and `kind
// load image-archive`, `ctr images import`) takes, tagged ref. `docker load` takes one
// platform at a time, hence one file each.
func WriteTarballs(dir string, idx v1.ImageIndex, ref string) ([]string, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("read the index: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("make %s: %w", dir, err)
	}
	var files []string
	for _, d := range m.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", d.Digest, err)
		}
		f := filepath.Join(dir, TarballName(*d.Platform))
		if err := tarball.WriteToFile(f, tag, img); err != nil {
			return nil, fmt.Errorf("write %s: %w", f, err)
		}
		files = append(files, f)
	}
	return files, nil
}

// Push uploads the index and its images to a registry, with the credentials `docker login`
// (or a credential helper) left in the usual config. Options are for tests (a transport).
func Push(idx v1.ImageIndex, ref string, opts ...remote.Option) (name.Reference, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	opts = append([]remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}, opts...)
	if err := remote.WriteIndex(r, idx, opts...); err != nil {
		return nil, fmt.Errorf("push %s: %w", r, err)
	}
	return r, nil
}
