package controllers

import (
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
)

// maxEventNote is the API server's limit on an events.k8s.io Event's note: a longer one is
// rejected and the Event lost ("can have at most 1024 characters"), as a three-member
// DistroNotInitialized summary was in the end-to-end run.
const maxEventNote = 1024

// noteLimit keeps every Event note within maxEventNote, cutting on a rune boundary and
// saying so, so the Event is recorded rather than dropped. It also drops an Event identical
// to one recorded for the same object within repeatWindow: two passes that start before the
// first one's status write reaches the cache both see the old condition and would both
// report its change (the demo's describe showed such pairs side by side).
type noteLimit struct {
	events.EventRecorder
	clock  clock.PassiveClock
	mu     *sync.Mutex
	recent map[string]time.Time
}

const repeatWindow = time.Minute

func newNoteLimit(r events.EventRecorder, c clock.PassiveClock) noteLimit {
	return noteLimit{EventRecorder: r, clock: c, mu: &sync.Mutex{}, recent: map[string]time.Time{}}
}

func (l noteLimit) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	msg := limitNote(fmt.Sprintf(note, args...))
	if l.repeated(regarding, eventtype, reason, msg) {
		return
	}
	l.EventRecorder.Eventf(regarding, related, eventtype, reason, action, "%s", msg)
}

// repeated records the Event and says whether an identical one is younger than
// repeatWindow; older entries are pruned on the way, so the map stays small.
func (l noteLimit) repeated(regarding runtime.Object, eventtype, reason, msg string) bool {
	uid := ""
	if o, ok := regarding.(metav1.Object); ok {
		uid = string(o.GetUID())
	}
	key := uid + "\x00" + eventtype + "\x00" + reason + "\x00" + msg
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, at := range l.recent {
		if now.Sub(at) >= repeatWindow {
			delete(l.recent, k)
		}
	}
	if _, ok := l.recent[key]; ok {
		return true
	}
	l.recent[key] = now
	return false
}

func limitNote(s string) string {
	if len(s) <= maxEventNote {
		return s
	}
	const more = " … (see kubectl describe nacos)"
	cut := maxEventNote - len(more)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + more
}
