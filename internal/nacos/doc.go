// Package nacos is an HTTP client for one Nacos member, 2.x or 3.x, covering what
// the operator needs to gate rolling restarts: version, liveness, readiness, the
// naming status (the only outside signal of Distro initialisation) and the member
// list with its raft metadata. docs/nacos-api.md lists the endpoints per version.
//
// Every answer is parsed by a pure function of (status, body) — parseReadiness,
// parseNamingStatus, parseMembers, parseMember, parseServerState, parseLogin,
// parseErrorMessage — so the parsers are fuzzed without a server. Every failure
// is an *Error with an ErrorKind the caller can act on.
//
// Traps this package handles, so callers need not:
//
//   - "Not ready" is not always an HTTP error. 2.x /nacos/v1/console/health/readiness
//     answers 500 with text; 3.x /nacos/v3/admin/core/state/readiness answers 200
//     with {"code":30000,...}. One rule covers both: a numeric code in a JSON body
//     decides, whatever the status; else 200 text is ready and 500 text is not.
//   - The naming status explains DOWN only on the v1 metrics endpoint, whose filter
//     answers 503 text "server is DOWNnow, detailed error message: <msg>" (no space
//     before "now"; "Optional[<msg>]" up to 2.4.1). The filter lets through any
//     User-Agent starting with "Nacos-Server" (that is how peers talk), which then
//     gets a bare {"status":"DOWN"}; so such a User-Agent is refused in Options.
//   - On 3.x the v1 metrics endpoint still exists but may be switched off (410);
//     the v3 one needs auth and has no detail message, so it is only the fallback.
//   - 3.x admin APIs need auth by default. The identity header bypasses auth on
//     every version and needs no login; it is preferred. Logins post a form and the
//     token travels as the accessToken query parameter, so query strings are
//     stripped from every error, and the password, identity value and tokens are
//     redacted from server messages.
//   - Auth failures are 403 (never 401) with Spring Boot error JSON; the 410 of a
//     disabled compatibility API nests a serialized envelope in its "message",
//     which parseErrorMessage unwraps.
//   - The 2.x v1 envelope says success with code 200, the v2/v3 one with code 0.
//   - Spring Boot renders errors as an HTML page when Accept includes text/html, so
//     the client asks for JSON or text only.
//   - A member list is optimistic: a member parsed from cluster.conf is UP before it
//     was ever reached. Member.NeverContacted detects it; raft metadata is only ever
//     added to, so leaders and errors may be stale.
//   - A pod upgraded in place keeps its address, so a cached major version can go
//     stale: a 404/410 from a detected major triggers one re-detection and retry.
//
// A Client is safe for concurrent use. It never logs, never sleeps, and bounds
// every request by Options.Timeout and every body by 1 MiB.
package nacos
