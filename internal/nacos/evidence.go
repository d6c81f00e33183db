package nacos

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/nacos-operator/nacos-operator/internal/podagent"
)

const opEvidence = "read pod evidence"

// Evidence reads the member pod's sidecar (package podagent) on port, with the client's
// timeout and error kinds; fresh asks it to dial the peers again first. It sends no
// credentials: the endpoint holds none and needs none.
func (c *Client) Evidence(ctx context.Context, port int, fresh bool) (podagent.Report, error) {
	r := request{op: opEvidence, method: http.MethodGet, path: podagent.Path, port: port}
	if fresh {
		r.query = url.Values{"fresh": {"true"}}
	}
	resp, err := c.send(ctx, r, "")
	if err != nil {
		return podagent.Report{}, err
	}
	if e := checkOK(resp); e != nil {
		return podagent.Report{}, c.annotate(r, e)
	}
	var out podagent.Report
	if err := json.Unmarshal(resp.body, &out); err != nil {
		return podagent.Report{}, c.annotate(r, &Error{Kind: KindMalformedBody, Message: "evidence is not the sidecar's JSON report"})
	}
	return out, nil
}
