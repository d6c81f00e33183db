package nacos

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Default option values.
const (
	DefaultTimeout   = 3 * time.Second
	DefaultUserAgent = "nacos-operator"
	// peerUserAgentPrefix is what Nacos peers send; TrafficReviseFilter lets such
	// requests through a DOWN naming module, which hides the DOWN detail message.
	peerUserAgentPrefix = "nacos-server"
)

// Auth says how to pass Nacos auth. The identity header wins: with it the client
// never logs in.
type Auth struct {
	IdentityKey, IdentityValue string // nacos.core.auth.server.identity.key/value
	Username, Password         string // a global admin, used only without identity
}

// Options configure a Client. The zero value works against a member without auth.
type Options struct {
	Timeout    time.Duration // per request; default 3s
	Auth       Auth
	HTTPClient *http.Client // default: no global timeout, no redirects followed
	// Clock drives the token TTL cache; default clock.RealClock{}.
	Clock clock.PassiveClock
	// Major is 0 to detect the version with ServerState, or 2 or 3 to trust it.
	// Other values are treated as 0.
	Major int
	// UserAgent defaults to "nacos-operator". A value starting with "Nacos-Server"
	// is replaced by the default (see peerUserAgentPrefix).
	UserAgent string
	// Observe, when set, is told of every HTTP exchange: the endpoint (a short fixed name,
	// e.g. "readiness"), the result ("ok", "http_4xx", "http_5xx", or the error kind when no
	// answer came) and how long it took. The operator's metrics hang here.
	Observe func(endpoint, result string, d time.Duration)
}

// Client talks to one Nacos member over HTTP. It is safe for concurrent use; keep
// one per member (see Pool) so that the detected version and token survive.
type Client struct {
	address string
	opts    Options
	http    *http.Client
	clock   clock.PassiveClock

	mu    sync.Mutex
	major int // detected major version; 0 until known

	tokens tokenCache
	// loginSlot lets one goroutine log in at a time while the others wait for its
	// token; a channel rather than a mutex so that waiting respects the context.
	loginSlot chan struct{}
}

// New returns a client for the member at address ("host:port" of the main port,
// 8848 by default); it talks http://address/nacos/....
func New(address string, opts Options) *Client {
	opts = withDefaults(opts)
	return &Client{
		address:   address,
		opts:      opts,
		http:      opts.HTTPClient,
		clock:     opts.Clock,
		loginSlot: make(chan struct{}, 1),
	}
}

func withDefaults(opts Options) Options {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = defaultHTTPClient()
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Major != 2 && opts.Major != 3 {
		opts.Major = 0
	}
	ua := strings.TrimSpace(opts.UserAgent)
	if ua == "" || strings.HasPrefix(strings.ToLower(ua), peerUserAgentPrefix) {
		ua = DefaultUserAgent
	}
	opts.UserAgent = ua
	return opts
}

// defaultHTTPClient has no global timeout (each request carries its own deadline)
// and does not follow redirects: a redirect would carry the identity header to
// wherever it points, and Nacos never redirects its API.
func defaultHTTPClient() *http.Client {
	transport := http.DefaultTransport
	if t, ok := transport.(*http.Transport); ok {
		transport = t.Clone()
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Address returns the "host:port" the client talks to.
func (c *Client) Address() string { return c.address }
