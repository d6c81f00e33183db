package sim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ClusterConfig describes a simulated cluster for tests: N members on loopback addresses
// <IPPrefix>1 .. <IPPrefix>N, all on the same port, like pods.
type ClusterConfig struct {
	Size     int
	IPPrefix string // e.g. "127.0.3."; each test should use its own
	Port     int    // default 8848
	// Hostnames, when set, names members as in Kubernetes hostname mode: member i is
	// Hostnames[i]:Port in cluster.conf and is dialled at its loopback IP.
	Hostnames []string
	BaseDir   string // homes are BaseDir/member-<i>
	// Template is copied into every member's Config (Version, Warmup, Storage, Auth, Periods, Clock...).
	Template Config
}

// Cluster is a set of simulated members that share a cluster.conf.
type Cluster struct {
	Members []*Member
	ips     map[string]string
}

// NewCluster writes every member's cluster.conf and creates (but does not start) them.
func NewCluster(cc ClusterConfig) (*Cluster, error) {
	if cc.Size < 1 || cc.IPPrefix == "" || cc.BaseDir == "" {
		return nil, errors.New("cluster needs Size, IPPrefix and BaseDir")
	}
	if cc.Port == 0 {
		cc.Port = 8848
	}
	c := &Cluster{ips: map[string]string{}}
	var addresses []string
	for i := 0; i < cc.Size; i++ {
		ip := fmt.Sprintf("%s%d", cc.IPPrefix, i+1)
		addr := fmt.Sprintf("%s:%d", ip, cc.Port)
		if i < len(cc.Hostnames) {
			addr = fmt.Sprintf("%s:%d", cc.Hostnames[i], cc.Port)
		}
		c.ips[addr] = fmt.Sprintf("%s:%d", ip, cc.Port)
		addresses = append(addresses, addr)
	}
	for i, addr := range addresses {
		cfg := cc.Template
		cfg.Address, cfg.Bind = addr, c.ips[addr]
		cfg.Home = filepath.Join(cc.BaseDir, fmt.Sprintf("member-%d", i))
		cfg.Resolve = c.Resolve
		if err := WriteClusterConf(cfg.Home, addresses); err != nil {
			return nil, err
		}
		m, err := New(cfg)
		if err != nil {
			return nil, err
		}
		c.Members = append(c.Members, m)
	}
	return c, nil
}

// Resolve maps a member address to its dial address (identity for unknown addresses).
func (c *Cluster) Resolve(address string) string {
	if ip, ok := c.ips[address]; ok {
		return ip
	}
	return address
}

// Start starts every member.
func (c *Cluster) Start() error {
	for _, m := range c.Members {
		if err := m.Start(); err != nil {
			c.Stop()
			return err
		}
	}
	return nil
}

// Stop stops every member.
func (c *Cluster) Stop() {
	for _, m := range c.Members {
		m.Stop()
	}
}

// Addresses are the members' addresses in order.
func (c *Cluster) Addresses() []string {
	out := make([]string, 0, len(c.Members))
	for _, m := range c.Members {
		out = append(out, m.Address())
	}
	return out
}

// WriteClusterConf writes <home>/conf/cluster.conf atomically (temp file, then rename),
// the way the operator delivers it.
func WriteClusterConf(home string, addresses []string) error {
	dir := filepath.Join(home, "conf")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp := filepath.Join(dir, ".cluster.conf.tmp")
	if err := os.WriteFile(tmp, []byte(strings.Join(addresses, "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "cluster.conf")); err != nil {
		return fmt.Errorf("rename into %s: %w", dir, err)
	}
	return nil
}
