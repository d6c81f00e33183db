package nacos

import (
	"context"
	"net/http"
)

const (
	opState  = "read server state"
	opDetect = "detect version"
)

// ServerState reads the member's server state map. With Options.Major set it reads
// that major's endpoint; otherwise it tries the 3.x endpoint and falls back to the
// 2.x one when the 3.x path does not exist (404/410), and caches the major.
func (c *Client) ServerState(ctx context.Context) (ServerState, error) {
	return c.serverState(ctx, opState)
}

// Major returns the member's major version: Options.Major when set, else the
// cached detection, else a fresh detection through ServerState.
func (c *Client) Major(ctx context.Context) (int, error) {
	if c.opts.Major != 0 {
		return c.opts.Major, nil
	}
	if major := c.cachedMajor(); major != 0 {
		return major, nil
	}
	st, err := c.serverState(ctx, opDetect)
	if err != nil {
		return 0, err
	}
	return st.Major, nil
}

func (c *Client) serverState(ctx context.Context, op string) (ServerState, error) {
	if c.opts.Major != 0 {
		return c.readState(ctx, op, c.opts.Major)
	}
	if major := c.cachedMajor(); major != 0 {
		st, err := c.readState(ctx, op, major)
		if KindOf(err) != KindAPIGone {
			return st, err
		}
		// The member was upgraded or downgraded in place: detect again.
		c.forgetMajor(major)
	}
	st, err := c.readState(ctx, op, 3)
	if KindOf(err) == KindAPIGone {
		st, err = c.readState(ctx, op, 2)
	}
	if err != nil {
		return ServerState{}, err
	}
	c.rememberMajor(st.Major)
	return st, nil
}

// readState reads the state endpoint of one major version.
func (c *Client) readState(ctx context.Context, op string, major int) (ServerState, error) {
	r := request{op: op, method: http.MethodGet, path: endpointsFor(major).state}
	body, err := c.getOK(ctx, major, r)
	if err != nil {
		return ServerState{}, err
	}
	st, err := parseServerState(major, body)
	if err != nil {
		return ServerState{}, c.annotate(r, err)
	}
	return st, nil
}

// withMajor runs fn with the member's major version. The client outlives pods: a
// member upgraded in place keeps its address, so when a detected major meets a
// missing endpoint (APIGone) the client detects again and, if the major changed,
// runs fn once more.
func (c *Client) withMajor(ctx context.Context, fn func(major int) error) error {
	major, err := c.Major(ctx)
	if err != nil {
		return err
	}
	err = fn(major)
	if c.opts.Major != 0 || KindOf(err) != KindAPIGone {
		return err
	}
	c.forgetMajor(major)
	again, detectErr := c.Major(ctx)
	if detectErr != nil || again == major {
		return err
	}
	return fn(again)
}

func (c *Client) cachedMajor() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.major
}

func (c *Client) rememberMajor(major int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.major = major
}

// forgetMajor clears the cache unless another goroutine already replaced it.
func (c *Client) forgetMajor(major int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.major == major {
		c.major = 0
	}
}
