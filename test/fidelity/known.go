package fidelity

// known are the differences the simulator keeps, each with why it cannot matter to the
// operator; docs/simulator.md lists the same. Patterns are path.Match patterns over the
// state name and Difference.Where.
var known = []Known{
	{State: "raft-healed", Where: "nodes-v1*: $.data[*].extendInfo.*",
		Why: "right after it turns ready, a real member may not have exchanged member reports with every peer yet (Distro loads over its own gRPC link); the simulator loads Distro only from peers it has exchanged reports with. The operator's membership gate waits for versions either way"},
	{State: "raft-healed", Where: "nodes-v3*: $.data[*].extendInfo.*", Why: "as above, 3.x paths"},
	{State: "raft-healed", Where: "view.Members", Why: "as above: peers listed without a version for a few seconds"},
}
