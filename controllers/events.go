package controllers

import (
	"fmt"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
)

// maxEventNote is the API server's limit on an events.k8s.io Event's note: a longer one is
// rejected and the Event lost ("can have at most 1024 characters"), as a three-member
// DistroNotInitialized summary was in the end-to-end run.
const maxEventNote = 1024

// noteLimit keeps every Event note within maxEventNote, cutting on a rune boundary and
// saying so, so the Event is recorded rather than dropped.
type noteLimit struct{ events.EventRecorder }

func (l noteLimit) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	l.EventRecorder.Eventf(regarding, related, eventtype, reason, action, "%s", limitNote(fmt.Sprintf(note, args...)))
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
