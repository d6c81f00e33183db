package nacos

import (
	"context"
	"net/http"
)

const (
	opMembers = "read member list"
	opSelf    = "read self member"
)

// Members returns the member list as this member sees it, in Nacos's order
// (sorted by address on 2.x v1, unordered on 3.x). The list is optimistic: a
// member never reached is listed UP (see Member.NeverContacted).
func (c *Client) Members(ctx context.Context) ([]Member, error) {
	var out []Member
	err := c.withMajor(ctx, func(major int) error {
		r := request{op: opMembers, method: http.MethodGet, path: endpointsFor(major).members, secured: true}
		body, err := c.getOK(ctx, major, r)
		if err != nil {
			return err
		}
		if out, err = parseMembers(major, body); err != nil {
			return c.annotate(r, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Self returns the member's own entry.
func (c *Client) Self(ctx context.Context) (Member, error) {
	var out Member
	err := c.withMajor(ctx, func(major int) error {
		r := request{op: opSelf, method: http.MethodGet, path: endpointsFor(major).self, secured: true}
		body, err := c.getOK(ctx, major, r)
		if err != nil {
			return err
		}
		if out, err = parseMember(major, body); err != nil {
			return c.annotate(r, err)
		}
		return nil
	})
	if err != nil {
		return Member{}, err
	}
	return out, nil
}

// getOK calls r and returns the body of a 2xx answer.
func (c *Client) getOK(ctx context.Context, major int, r request) ([]byte, error) {
	resp, err := c.call(ctx, major, r)
	if err != nil {
		return nil, err
	}
	if e := checkOK(resp); e != nil {
		return nil, c.annotate(r, e)
	}
	return resp.body, nil
}
