package nacos

import "sync"

// Pool hands out one *Client per (address, auth): the operator reaches members of many
// clusters, each with its own identity, and a client must be kept per member so that its
// detected version and token survive between reconciles.
type Pool struct {
	opts    Options
	mu      sync.Mutex
	clients map[poolKey]*Client
}

type poolKey struct {
	address string
	auth    Auth
}

// NewPool returns a pool whose clients share opts except for Auth.
func NewPool(opts Options) *Pool {
	return &Pool{opts: withDefaults(opts), clients: map[poolKey]*Client{}}
}

// For returns the client of a member address with the given auth.
func (p *Pool) For(address string, auth Auth) *Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := poolKey{address, auth}
	c, ok := p.clients[k]
	if !ok {
		opts := p.opts
		opts.Auth = auth
		c = New(address, opts)
		p.clients[k] = c
	}
	return c
}

// Forget drops the clients of an address (a pod that is gone).
func (p *Pool) Forget(address string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.clients {
		if k.address == address {
			delete(p.clients, k)
		}
	}
}
