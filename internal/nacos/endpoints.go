package nacos

// endpoints are the paths, on the main port under context path /nacos, that the
// client uses for one major version. docs/nacos-api.md lists them with their shapes.
type endpoints struct {
	state     string // server state map (no auth)
	liveness  string // no auth
	readiness string // no auth
	// namingV1 is the v1 metrics endpoint. It needs no auth and still exists on 3.0
	// (OPEN_API compatibility, on by default); it is the only one that tells why
	// naming is DOWN.
	namingV1 string
	// namingV3 is the 3.x admin metrics endpoint (auth required), used when namingV1
	// is gone.
	namingV3 string
	members  string // auth required
	self     string // auth required
	login    string
	raftOps  string // auth required; POST a JSON command
}

// endpointsFor picks the 3.x paths for 3 and later, the 2.x paths otherwise. It
// builds the table on each call rather than keep it in a package variable.
func endpointsFor(major int) endpoints {
	if major >= 3 {
		return endpoints{
			state:     "/nacos/v3/admin/core/state",
			liveness:  "/nacos/v3/admin/core/state/liveness",
			readiness: "/nacos/v3/admin/core/state/readiness",
			namingV1:  "/nacos/v1/ns/operator/metrics",
			namingV3:  "/nacos/v3/admin/ns/ops/metrics",
			members:   "/nacos/v3/admin/core/cluster/node/list",
			self:      "/nacos/v3/admin/core/cluster/node/self",
			login:     "/nacos/v3/auth/user/login",
			raftOps:   "/nacos/v3/admin/core/ops/raft",
		}
	}
	return endpoints{
		state:     "/nacos/v1/console/server/state",
		liveness:  "/nacos/v1/console/health/liveness",
		readiness: "/nacos/v1/console/health/readiness",
		namingV1:  "/nacos/v1/ns/operator/metrics",
		members:   "/nacos/v1/core/cluster/nodes",
		self:      "/nacos/v1/core/cluster/self",
		login:     "/nacos/v1/auth/login",
		raftOps:   "/nacos/v1/core/ops/raft",
	}
}
