package nacos

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

const (
	opLiveness  = "check liveness"
	opReadiness = "check readiness"
	opNaming    = "read naming status"
)

// Liveness returns nil when the member answers its liveness endpoint with 200.
func (c *Client) Liveness(ctx context.Context) error {
	return c.withMajor(ctx, func(major int) error {
		r := request{op: opLiveness, method: http.MethodGet, path: endpointsFor(major).liveness}
		resp, err := c.call(ctx, major, r)
		if err != nil {
			return err
		}
		if e := tooLarge(resp); e != nil {
			return c.annotate(r, e)
		}
		if err := parseLiveness(resp.status, resp.body); err != nil {
			return c.annotate(r, err)
		}
		return nil
	})
}

// readinessTimeout: measured on a real 2.5.1 member with embedded storage whose Raft port
// (7848) was dropped, the readiness endpoint answered 500 "config not in readiness" after
// 5.0 s (its config check is a Raft read that waits that long). With the default 3 s timeout
// the operator reported the member unreachable and the diagnosis said to check port 8848,
// which was open; waiting a little longer gets Nacos's own words.
const readinessTimeout = 7 * time.Second

// Readiness returns the member's readiness. On 2.x "not ready" is HTTP 500 with
// text; on 3.x it is HTTP 200 with code 30000. Both are Readiness{Ready: false}.
func (c *Client) Readiness(ctx context.Context) (Readiness, error) {
	var out Readiness
	err := c.withMajor(ctx, func(major int) error {
		r := request{op: opReadiness, method: http.MethodGet, path: endpointsFor(major).readiness, minTimeout: readinessTimeout}
		resp, err := c.call(ctx, major, r)
		if err != nil {
			return err
		}
		if e := tooLarge(resp); e != nil {
			return c.annotate(r, e)
		}
		out, err = parseReadiness(resp.status, resp.body)
		if err != nil {
			return c.annotate(r, err)
		}
		return nil
	})
	if err != nil {
		return Readiness{}, err
	}
	return out, nil
}

// NamingStatus returns the naming module's status. It asks the v1 metrics endpoint
// first on every version: it needs no auth and its 503 answer carries the reason
// for DOWN. On 3.x, when that endpoint is gone, it asks the v3 admin endpoint.
func (c *Client) NamingStatus(ctx context.Context) (NamingStatus, error) {
	var out NamingStatus
	err := c.withMajor(ctx, func(major int) error {
		ep := endpointsFor(major)
		var err error
		out, err = c.naming(ctx, major, request{op: opNaming, method: http.MethodGet, path: ep.namingV1})
		if ep.namingV3 == "" || KindOf(err) != KindAPIGone {
			return err
		}
		out, err = c.naming(ctx, major, request{op: opNaming, method: http.MethodGet, path: ep.namingV3, secured: true})
		return err
	})
	if err != nil {
		return NamingStatus{}, err
	}
	return out, nil
}

func (c *Client) naming(ctx context.Context, major int, r request) (NamingStatus, error) {
	r.query = url.Values{"onlyStatus": {"true"}}
	resp, err := c.call(ctx, major, r)
	if err != nil {
		return NamingStatus{}, err
	}
	if e := tooLarge(resp); e != nil {
		return NamingStatus{}, c.annotate(r, e)
	}
	ns, err := parseNamingStatus(resp.status, resp.body)
	if err != nil {
		return NamingStatus{}, c.annotate(r, err)
	}
	return ns, nil
}
