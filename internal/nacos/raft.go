package nacos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

const opTransferLeader = "transfer Raft leadership"

// TransferLeader asks this member to hand leadership of every Raft group to target
// ("host:raftPort"), through the raft ops API (JRaftMaintainService). A restart of the leader
// then costs no election: with embedded storage, an election makes every member answer
// "config not in readiness" until a new leader is elected.
func (c *Client) TransferLeader(ctx context.Context, target string) error {
	return c.TransferGroupLeader(ctx, "", target)
}

// TransferGroupLeader moves the leadership of one Raft group (every group when group is
// ""). Any member may be asked: JRaft's CliService finds the group's leader itself.
func (c *Client) TransferGroupLeader(ctx context.Context, group, target string) error {
	cmd := map[string]string{"command": "transferLeader", "value": target}
	if group != "" {
		cmd["groupId"] = group
	}
	body, err := json.Marshal(cmd)
	if err != nil {
		return fmt.Errorf("encode raft command: %w", err)
	}
	return c.withMajor(ctx, func(major int) error {
		r := request{op: opTransferLeader, method: http.MethodPost, path: endpointsFor(major).raftOps, json: body, secured: true}
		_, err := c.getOK(ctx, major, r)
		return err
	})
}
