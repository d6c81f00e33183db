package memberlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"k8s.io/utils/clock"
)

// Limits that keep the follower's memory bounded whatever the member logs.
const (
	// tailWindow: at the first open only the end of a file is read (a member's nacos.log
	// grows to hundreds of MiB; what matters is recent).
	tailWindow = 1 << 20
	// maxLine: longer lines are skipped (no known line is anywhere near it).
	maxLine = 8 << 10
	// maxReadPerPoll bounds one poll's reading of one file.
	maxReadPerPoll = 4 << 20
)

// Follower follows the known files of a logs directory, rotation-safe: a file replaced by a
// new one (logback renames nacos.log to nacos.log.<date>.<i> and opens a new nacos.log) is
// read to its end through the open descriptor, then the new file from its start; a file
// that shrank was truncated and is read again from its start.
type Follower struct {
	Dir   string
	Clock clock.PassiveClock

	mu    sync.Mutex
	files map[string]*followed
	tally Tally
}

type followed struct {
	f       *os.File
	ino     uint64
	off     int64
	partial []byte
	skip    bool          // the partial line is over maxLine: drop it up to its newline
	zone    time.Duration // how far the log's clock is ahead of UTC (estimated, see zoneOffset)
	zoneSet bool
	stamp   time.Time // the newest stamp read: continuation lines (stack traces) carry none
}

// NewFollower follows the known files of dir.
func NewFollower(dir string, clk clock.PassiveClock) *Follower {
	return &Follower{Dir: dir, Clock: clk, files: map[string]*followed{}}
}

// Poll reads what was appended to every known file since the last poll.
func (fl *Follower) Poll() error {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	var errs []error
	for _, name := range Files() {
		if err := fl.pollFile(name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Entries and Phase report what was read.
func (fl *Follower) Entries() []Entry {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return fl.tally.Entries()
}

// Phase is the start-up phase as the newest lines show it.
func (fl *Follower) Phase() Phase {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return fl.tally.Phase(fl.Clock.Now())
}

// Close releases the open files.
func (fl *Follower) Close() {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	for name, f := range fl.files {
		_ = f.f.Close()
		delete(fl.files, name)
	}
}

func (fl *Follower) pollFile(name string) error {
	path := filepath.Join(fl.Dir, name)
	st, err := os.Stat(path)
	cur := fl.files[name]
	if errors.Is(err, os.ErrNotExist) {
		return nil // not written yet, or rotated away with no successor: keep what was read
	}
	if err != nil {
		return fmt.Errorf("stat %s: %w", name, err)
	}
	ino := inode(st)
	if cur != nil && cur.ino != ino {
		// Rotated: finish the old file, then follow the new one from its start.
		_ = fl.read(name, cur, time.Time{})
		_ = cur.f.Close()
		cur = nil
		if err := fl.open(name, path, ino, 0); err != nil {
			return err
		}
		cur = fl.files[name]
	}
	if cur == nil {
		if err := fl.open(name, path, ino, max(0, st.Size()-tailWindow)); err != nil {
			return err
		}
		cur = fl.files[name]
		if cur.off > 0 {
			cur.skip = true // the window starts inside a line
		}
	}
	if st.Size() < cur.off {
		if _, err := cur.f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("rewind %s: %w", name, err)
		}
		cur.off, cur.partial, cur.skip = 0, nil, false
	}
	return fl.read(name, cur, st.ModTime())
}

func (fl *Follower) open(name, path string, ino uint64, off int64) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		_ = f.Close()
		return fmt.Errorf("seek %s: %w", name, err)
	}
	prev := fl.files[name]
	next := &followed{f: f, ino: ino, off: off}
	if prev != nil {
		next.zone, next.zoneSet, next.stamp = prev.zone, prev.zoneSet, prev.stamp
	}
	fl.files[name] = next
	return nil
}

// read consumes whole lines up to the end of the file (or maxReadPerPoll). mtime, when set,
// dates the file's last write, from which the log clock's zone is estimated.
func (fl *Follower) read(name string, cur *followed, mtime time.Time) error {
	buf := make([]byte, 64<<10)
	var lines []stamped
	var last time.Time // the newest stamp in this read (log clock)
	take := func(line []byte) {
		if t, ok := parseStamp(line); ok {
			cur.stamp, last = t, t
		}
		if m, ok := MatchLine(name, string(line)); ok && !cur.stamp.IsZero() {
			lines = append(lines, stamped{m, cur.stamp})
		}
	}
	atEOF := false
	for total := 0; total < maxReadPerPoll; {
		n, err := cur.f.Read(buf)
		total += n
		cur.off += int64(n)
		cur.split(buf[:n], take)
		if errors.Is(err, io.EOF) || n == 0 {
			atEOF = true
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
	}
	if atEOF && !mtime.IsZero() && !last.IsZero() {
		if z, ok := zoneOffset(last, mtime); ok {
			cur.zone, cur.zoneSet = z, true
		}
	}
	for _, l := range lines {
		fl.tally.add(name, l.m, l.at.Add(-cur.zone))
	}
	return nil
}

// split hands each complete line of data to take, carrying a partial last line
// to the next call. A line longer than maxLine, or one the tail window cut into,
// is dropped whole rather than read in part.
func (cur *followed) split(data []byte, take func([]byte)) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if cur.skip || len(cur.partial)+len(data) > maxLine {
				cur.partial, cur.skip = nil, true
			} else {
				cur.partial = append(cur.partial, data...)
			}
			return
		}
		line := data[:i]
		data = data[i+1:]
		if cur.skip {
			cur.skip = false
			continue
		}
		if len(cur.partial) > 0 {
			line = append(cur.partial, line...)
			cur.partial = nil
		}
		if len(line) <= maxLine {
			take(line)
		}
	}
}

type stamped struct {
	m  Match
	at time.Time
}

// parseStamp reads logback's "2006-01-02 15:04:05,000" prefix, in the log's own clock
// (returned as if UTC; zoneOffset corrects it).
func parseStamp(line []byte) (time.Time, bool) {
	const layout = "2006-01-02 15:04:05,000"
	if len(line) < len(layout) || line[4] != '-' || line[10] != ' ' {
		return time.Time{}, false
	}
	t, err := time.Parse(layout, string(line[:len(layout)]))
	return t, err == nil
}

// zoneOffset estimates the zone of the log's clock: the official image runs Nacos with
// TZ=Asia/Shanghai while this sidecar has no zone, so a stamp is compared with the file's
// modification time (the moment of its newest line), rounded to a quarter hour. ok is false
// when they are too far apart to be one moment in two zones.
func zoneOffset(newest, mtime time.Time) (time.Duration, bool) {
	d := newest.Sub(mtime.UTC())
	q := 15 * time.Minute
	rounded := d.Round(q)
	if rounded < -14*time.Hour || rounded > 14*time.Hour || (d-rounded).Abs() > 2*time.Minute {
		return 0, false
	}
	return rounded, true
}

func inode(st os.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return s.Ino
	}
	return 0
}
