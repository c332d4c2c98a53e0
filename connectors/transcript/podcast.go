package transcript

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Podcasting 2.0 JSON segments are often single words; they are merged into
// cues of one speaker while the gap stays short and the cue stays small.
const (
	jsonMaxGap      = 2 * time.Second
	jsonMaxCueSpan  = 15 * time.Second
	jsonMaxCueRunes = 500
	jsonMinSentence = 5 * time.Second // a sentence end closes a cue at least this long
)

type podcastSegment struct {
	Speaker   string   `json:"speaker"`
	StartTime *float64 `json:"startTime"`
	EndTime   *float64 `json:"endTime"`
	Body      string   `json:"body"`
}

// parsePodcastJSON reads the Podcasting 2.0 JSON transcript format
// ({"version", "segments": [{speaker, startTime, endTime, body}]}). Each
// segment is decoded on its own, so one bad segment is skipped, not fatal.
func parsePodcastJSON(b *builder, text string) {
	var doc struct {
		Segments []json.RawMessage `json:"segments"`
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		b.problem("JSON: %v", err)
		return
	}
	if doc.Segments == nil {
		b.problem(`JSON: no "segments" array`)
		return
	}
	var m segmentMerger
	for i, raw := range doc.Segments {
		var seg podcastSegment
		if err := json.Unmarshal(raw, &seg); err != nil {
			b.skip(0, fmt.Sprintf("segment %d: %v", i, err))
			continue
		}
		c, err := seg.cue()
		if err != nil {
			b.skip(0, fmt.Sprintf("segment %d: %v", i, err))
			continue
		}
		if !m.merge(c) && !b.add(m.flush(c)) {
			return
		}
	}
	b.add(m.flush(Cue{}))
}

func (s podcastSegment) cue() (Cue, error) {
	if s.StartTime == nil {
		return Cue{}, errors.New("no startTime")
	}
	start, ok := secondsDuration(*s.StartTime)
	if !ok {
		return Cue{}, fmt.Errorf("invalid startTime %v", *s.StartTime)
	}
	end := start
	if s.EndTime != nil {
		if end, ok = secondsDuration(*s.EndTime); !ok {
			return Cue{}, fmt.Errorf("invalid endTime %v", *s.EndTime)
		}
	}
	return Cue{Start: start, End: max(start, end), Speaker: strings.TrimSpace(s.Speaker), Text: plain(markupText(s.Body))}, nil
}

// segmentMerger accumulates word-level segments into one cue.
type segmentMerger struct {
	cur   Cue
	runes int
	open  bool
}

// merge adds c to the current cue if it continues it, reporting whether it did.
func (m *segmentMerger) merge(c Cue) bool {
	if !m.open {
		m.cur, m.runes, m.open = c, utf8.RuneCountInString(c.Text), true
		return true
	}
	cur := m.cur
	if c.Speaker != cur.Speaker || c.Start-cur.End > jsonMaxGap || c.End-cur.Start > jsonMaxCueSpan ||
		m.runes >= jsonMaxCueRunes || (endsSentence(cur.Text) && cur.End-cur.Start >= jsonMinSentence) {
		return false
	}
	m.cur.Text = joinWords(cur.Text, c.Text)
	m.cur.End = max(cur.End, c.End)
	m.runes += utf8.RuneCountInString(c.Text) + 1
	return true
}

// flush returns the current cue and starts the next one with c (if it has text).
func (m *segmentMerger) flush(next Cue) Cue {
	done := m.cur
	m.open = false
	if next.Text != "" {
		m.merge(next)
	}
	return done
}

// joinWords joins two pieces of text, with a space where needsSpace says so.
func joinWords(a, b string) string {
	if needsSpace(a, b) {
		return a + " " + b
	}
	return a + b
}

// needsSpace reports whether a space belongs between a and b: not when either
// is empty, before closing punctuation (", " "." as their own word-level
// segments), nor between CJK characters, which are written without spaces.
func needsSpace(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(a)
	first, _ := utf8.DecodeRuneInString(b)
	return !strings.ContainsRune(",.;:!?)]}…、。，！？", first) && !(isCJK(last) && isCJK(first))
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

// parsePodcastHTML reads the Podcasting 2.0 HTML transcript format:
// <cite>Speaker:</cite> <time>0:53</time> <p>text</p>, repeated. A cue lasts
// until the next one starts; the last one has no known end.
func parsePodcastHTML(b *builder, text string) {
	z := html.NewTokenizer(strings.NewReader(text))
	var (
		speaker  string
		at       time.Duration
		field    atom.Atom // the element whose text is being collected
		buf      strings.Builder
		pending  *Cue
		skipping atom.Atom // script or style, whose text is not speech
	)
	emit := func(c *Cue) bool {
		if pending != nil {
			if c != nil && c.Start > pending.Start {
				pending.End = c.Start
			}
			if !b.add(*pending) {
				return false
			}
		}
		pending = c
		return true
	}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if err := z.Err(); err != io.EOF {
				b.problem("HTML: %v", err)
			}
			emit(nil)
			return
		}
		name, _ := z.TagName()
		tag := atom.Lookup(name)
		switch tt {
		case html.StartTagToken:
			switch tag {
			case atom.Script, atom.Style:
				skipping = tag
			case atom.Cite, atom.Time, atom.P:
				if field == 0 {
					field = tag
					buf.Reset()
				}
			case atom.Br:
				buf.WriteByte('\n')
			}
		case html.SelfClosingTagToken:
			if tag == atom.Br {
				buf.WriteByte('\n')
			}
		case html.TextToken:
			if skipping == 0 && field != 0 {
				buf.Write(z.Text())
			}
		case html.EndTagToken:
			if tag == skipping {
				skipping = 0
			}
			if tag != field || field == 0 {
				continue
			}
			field = 0
			switch tag {
			case atom.Cite:
				speaker = strings.TrimSuffix(strings.TrimSpace(buf.String()), ":")
			case atom.Time:
				if d, ok := parseClock(buf.String()); ok {
					at = d
				} else {
					b.problem("bad time %q", truncateUTF8(buf.String(), 40))
				}
			case atom.P:
				// z.Text() already decoded character references; what looks
				// like markup now is literal text, and plain drops it.
				if !emit(&Cue{Start: at, End: at, Speaker: speaker, Text: buf.String()}) {
					return
				}
			}
		}
	}
}
