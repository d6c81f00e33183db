package memberlog

import (
	"sort"
	"time"
)

// Entry is one known line, deduplicated: how often it was logged, first and last.
type Entry struct {
	Code    string    `json:"code"`
	File    string    `json:"file"`
	Message string    `json:"message"`
	Peer    string    `json:"peer,omitempty"`
	Group   string    `json:"group,omitempty"`
	Count   int       `json:"count"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
}

// Phase is the start-up phase the member's own log shows.
type Phase struct {
	// Starting: "Nacos is starting..." was logged within startingFresh of the newest read.
	Starting bool `json:"starting"`
	// Since is the first line of the current run of "Nacos is starting..." lines.
	Since time.Time `json:"since,omitzero"`
	Last  time.Time `json:"last,omitzero"`
}

// maxEntries bounds the tally: a member that logs many distinct known lines (peers of a
// large cluster) keeps the most recent ones.
const maxEntries = 32

// startingFresh: Nacos logs "Nacos is starting..." every second while it starts, so a last
// line older than this means the phase ended (or the JVM stopped).
const startingFresh = 5 * time.Second

// startingGap: a longer silence between two starting lines means a new start.
const startingGap = 30 * time.Second

// Tally deduplicates matches. It is not safe for concurrent use (Follower locks it).
type Tally struct {
	entries map[string]*Entry
	start   Phase
}

func (t *Tally) add(file string, m Match, at time.Time) {
	if m.Code == CodeStarting {
		if t.start.Last.IsZero() || at.Sub(t.start.Last) > startingGap {
			t.start.Since = at
		}
		if at.After(t.start.Last) {
			t.start.Last = at
		}
		return
	}
	if t.entries == nil {
		t.entries = map[string]*Entry{}
	}
	key := m.Code + "\x00" + file + "\x00" + m.Message
	e, ok := t.entries[key]
	if !ok {
		if len(t.entries) >= maxEntries {
			t.evictOldest()
		}
		e = &Entry{Code: m.Code, File: file, Message: m.Message, Peer: m.Fields[FieldPeer], Group: m.Fields[FieldGroup], First: at}
		t.entries[key] = e
	}
	e.Count++
	if at.Before(e.First) {
		e.First = at
	}
	if at.After(e.Last) {
		e.Last = at
	}
}

func (t *Tally) evictOldest() {
	var oldest string
	for k, e := range t.entries {
		if oldest == "" || e.Last.Before(t.entries[oldest].Last) {
			oldest = k
		}
	}
	delete(t.entries, oldest)
}

// Entries returns the entries, newest last line first.
func (t *Tally) Entries() []Entry {
	out := make([]Entry, 0, len(t.entries))
	for _, e := range t.entries {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Last.Equal(out[j].Last) {
			return out[i].Last.After(out[j].Last)
		}
		return out[i].Message < out[j].Message
	})
	return out
}

// Phase returns the start-up phase as of now.
func (t *Tally) Phase(now time.Time) Phase {
	p := t.start
	p.Starting = !p.Last.IsZero() && now.Sub(p.Last) <= startingFresh
	return p
}
