package harness

import (
	"syscall"
	"time"
)

// EndGroup ends a process group the way Kubernetes ends a container: sig (SIGTERM for a
// clean stop, SIGKILL for a crash), then SIGKILL once grace has passed; it returns when done
// (closed by whoever waits on the process) is.
func EndGroup(pgid int, sig syscall.Signal, done <-chan struct{}, grace time.Duration) {
	_ = syscall.Kill(-pgid, sig)
	select {
	case <-done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
}
