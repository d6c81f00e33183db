package v1alpha1

import (
	"strconv"
	"strings"
)

// DefaultImageRepository is the official Nacos server image.
const DefaultImageRepository = "nacos/nacos-server"

// ContainerImage is the image members run: spec.image, or the official image tagged
// v<version> (the tag scheme of nacos/nacos-server).
func (s *NacosClusterSpec) ContainerImage() string {
	if s.Image != "" {
		return s.Image
	}
	return DefaultImageRepository + ":v" + s.Version
}

// MajorVersion is the major number of spec.version, or 0 when it does not parse (the CRD
// refuses such versions, so 0 only appears for objects that skipped admission).
func (s *NacosClusterSpec) MajorVersion() int {
	major, _, _ := strings.Cut(s.Version, ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		return 0
	}
	return n
}
