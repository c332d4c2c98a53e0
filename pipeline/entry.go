// Package pipeline is recap's runtime: the entry and chunk types, the small
// interfaces sources, stages and sinks implement, their registry, the chunk
// buffer, the NATS server and streams, and the runners that move chunks from
// sources through stages into sinks (see run.go for the whole wiring).
package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Entry kinds, as stored in the Parquet "kind" column and NATS subjects.
const (
	KindFeedItem   = "feed_item"
	KindTranscript = "transcript"
	KindLog        = "log"
)

// IsKind reports whether k is one of the entry kinds above; sinks check it
// before using a kind in a path.
func IsKind(k string) bool {
	return k == KindFeedItem || k == KindTranscript || k == KindLog
}

// Entry is one record flowing through recap; its fields are the Parquet columns
// of DESIGN.md. Empty strings are stored as NULL for the nullable columns.
type Entry struct {
	ID         string
	Kind       string
	Source     string
	Origin     string
	Title      string
	URL        string
	Authors    []string
	Published  time.Time
	Ingested   time.Time
	Text       string
	HTML       bool // Text still holds HTML; the text stage turns it into plain text
	Lang       string
	Words      int32
	Categories []string
	Tags       []string
	Timing     *Timing // transcript cue position; nil for other kinds
	Level      string
	Attrs      []Attr // remaining source fields, in source order
}

// Timing is a transcript segment's position in the talk.
type Timing struct {
	StartMs, EndMs int64
}

// Attr is one key/value of Entry.Attrs. A slice (not a map) keeps the log path
// free of a map allocation per record.
type Attr struct {
	Key, Value string
}

// Attr returns the value of key in Attrs, or "".
func (e *Entry) Attr(key string) string {
	for _, a := range e.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// AttrMap returns Attrs as a map (nil when there are none), the shape the
// archive and the JSON view store them in.
func (e *Entry) AttrMap() map[string]string {
	if len(e.Attrs) == 0 {
		return nil
	}
	m := make(map[string]string, len(e.Attrs))
	for _, a := range e.Attrs {
		m[a.Key] = a.Value
	}
	return m
}

// SetAttr sets key in Attrs, replacing an existing value.
func (e *Entry) SetAttr(key, value string) {
	for i := range e.Attrs {
		if e.Attrs[i].Key == key {
			e.Attrs[i].Value = value
			return
		}
	}
	e.Attrs = append(e.Attrs, Attr{key, value})
}

// HasTag reports whether tag is already in Tags.
func (e *Entry) HasTag(tag string) bool {
	for _, t := range e.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// AddTag appends tag unless it is already there.
func (e *Entry) AddTag(tag string) {
	if !e.HasTag(tag) {
		e.Tags = append(e.Tags, tag)
	}
}

// StableID derives an entry id from its source and natural key parts (a feed
// guid, a file identity and offset, ...). The same inputs always give the same
// id, which is what lets re-reads and re-polls be recognised as duplicates.
func StableID(source string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(source))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	var sum [32]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}
