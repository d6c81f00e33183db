package nacos

import (
	"context"
	"net/http"
	"net/url"
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

// Readiness returns the member's readiness. On 2.x "not ready" is HTTP 500 with
// text; on 3.x it is HTTP 200 with code 30000. Both are Readiness{Ready: false}.
func (c *Client) Readiness(ctx context.Context) (Readiness, error) {
	var out Readiness
	err := c.withMajor(ctx, func(major int) error {
		r := request{op: opReadiness, method: http.MethodGet, path: endpointsFor(major).readiness}
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
