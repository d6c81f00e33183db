package e2e

// The scenarios that do not restart the shared kube-apiserver run in parallel (t.Parallel,
// at most -parallel 4 at once, as the seeded kill runs do): each has its own namespace and
// operator, or its own sandbox. Go starts them once every sequential test is done, so
// TestAPIServerRestartMidRollout, which restarts the shared API server, never overlaps
// them. Measured here: make test-e2e went from 626 s (2026-12-04, one after another) to 482 s.
