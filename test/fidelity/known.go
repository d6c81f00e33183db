package fidelity

// known are the differences the simulator keeps, each with why it cannot matter to the
// operator; docs/simulator.md lists the same. Fields are path.Match patterns over the
// version, the state name and Difference.Where (brackets escaped).
var known = []Known{
	{Version: "*", State: "raft-healed", Where: `nodes-v[13]*: $.data\[*\].extendInfo.*`,
		Why: "right after it turns ready a real member may not have exchanged member reports with every peer (Distro loads over its own gRPC link); the simulator loads Distro only from peers it has exchanged reports with. The operator's membership gate waits for versions either way"},
	{Version: "*", State: "raft-healed", Where: "view.Members", Why: "as above: peers listed without a version for a few seconds"},
	{Version: "*", State: "cluster-loading*", Where: `*: $.data*.extendInfo.raftMetaData.metaDataMap.naming_*`, Real: "absent",
		Why: "a member publishes a Raft group in raftMetaData on the group's first event; on a cold start the naming groups elect one by one, so the first answer may lack some (2.5.1 lacked naming_instance_metadata and naming_service_metadata, 40 s after start). The operator reads leaders only of the groups a member lists, and RaftLeaderElected waits for every group"},
	{Version: "*", State: "cluster-loading:loaded*", Where: `nodes-v[13]*: $.data\[*\].extendInfo.*`,
		Why: "as for raft-healed: a real member of a cold start may load Distro before it has exchanged member reports"},
	{Version: "*", State: "cluster-loading:loaded*", Where: "view.Members", Why: "as above"},
	{Version: "3.*", State: "*", Where: "state-v3: $.data.auth_enabled",
		Why: "real 3.0.3 answers auth_enabled true or false from one call to the next on the same member (two web contexts publish the auth module state); the operator does not read it"},
	{Version: "3.*", State: "*", Where: "view.State", Why: "as above: only auth_enabled differs"},
	{Version: "3.*", State: "*", Where: "state-v1: status", Why: "as below"},
	{Version: "3.*", State: "*", Where: "liveness-v1: status", Why: "as below"},
	{Version: "3.*", State: "*", Where: "readiness-v[12]: status",
		Why: "real 3.0.3 answers the 2.x console paths (state, liveness, readiness) on 8848 with 404 or 410 from one call to the next; the client treats both as 'not this major' and uses the 3.x paths"},
	{Version: "2.*", State: "standalone", Where: standaloneGroup, Real: "absent", Why: standaloneGroupWhy},
	{Version: "2.*", State: "auth-*", Where: standaloneGroup, Real: "absent", Why: standaloneGroupWhy},
	{Version: "3.*", State: "*", Where: `[ns]*-v3: $.data*.extendInfo.raftMetaData.metaDataMap.naming_persistent_service`,
		Why: "a standalone 3.0.3 member published the naming_persistent_service group in one run and not in the next; the operator reads group leaders only of the groups a member lists"},
}

// The standalone states of 2.x (standalone, auth-*) may lack one naming group.
const (
	standaloneGroup    = `*-v1: $.data*.extendInfo.raftMetaData.metaDataMap.naming_persistent_service`
	standaloneGroupWhy = "as on 3.0.3: the standalone 2.5.1 member of a local run on 2026-12-03 lacked naming_persistent_service in its answers (standalone, auth-login) where the recorded run had it; only its absence is tolerated, only in the standalone states"
)
