package nacos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

const opTransferLeader = "transfer Raft leadership"

// TransferLeader asks this member (the current leader) to hand leadership of every Raft
// group to target ("host:raftPort"), through the raft ops API (JRaftMaintainService). A
// restart of the leader then costs no election: with embedded storage, an election makes
// every member answer "config not in readiness" until a new leader is elected.
func (c *Client) TransferLeader(ctx context.Context, target string) error {
	body, err := json.Marshal(map[string]string{"command": "transferLeader", "value": target})
	if err != nil {
		return fmt.Errorf("encode raft command: %w", err)
	}
	return c.withMajor(ctx, func(major int) error {
		r := request{op: opTransferLeader, method: http.MethodPost, path: endpointsFor(major).raftOps, json: body, secured: true}
		_, err := c.getOK(ctx, major, r)
		return err
	})
}
