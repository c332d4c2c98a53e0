package transcript

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"time"
)

// parseTimedText reads YouTube timedtext XML: <transcript><text start="s"
// dur="s">…</text> as served by the transcript API, and format 3
// (<timedtext><body><p t="ms" d="ms">…</p>). Cue text holds HTML-escaped
// markup, stripped like WebVTT's.
//
// encoding/xml expands only the five predefined entities and numeric
// references and never reads a DTD, so entity bombs and external entities
// are inert; a truncated or broken document keeps the cues before the break.
func parseTimedText(b *builder, text string) {
	d := xml.NewDecoder(strings.NewReader(text))
	d.Strict = true
	// The text is UTF-8 already, whatever the declaration says.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var cur *timedTextCue
	for !b.full {
		tok, err := d.Token()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				line, _ := d.InputPos()
				b.problem("line %d: XML: %v", line, err)
			}
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case cur != nil:
				cur.depth++
				if t.Name.Local == "br" {
					cur.text.WriteByte('\n')
				}
			case isTimedTextCue(t):
				line, _ := d.InputPos()
				cur = newTimedTextCue(t, line)
			}
		case xml.CharData:
			if cur != nil {
				cur.text.Write(t)
			}
		case xml.EndElement:
			if cur == nil {
				continue
			}
			if cur.depth > 0 {
				cur.depth--
				continue
			}
			if cur.ok {
				b.add(Cue{Start: cur.start, End: cur.start + cur.dur, Text: markupText(cur.text.String())})
			} else {
				b.skip(cur.line, "invalid start or duration")
			}
			cur = nil
		}
	}
}

type timedTextCue struct {
	start, dur time.Duration
	ok         bool
	line       int
	depth      int // of elements nested inside the cue
	text       strings.Builder
}

func isTimedTextCue(t xml.StartElement) bool {
	return t.Name.Local == "text" || (t.Name.Local == "p" && attr(t, "t") != "")
}

func newTimedTextCue(t xml.StartElement, line int) *timedTextCue {
	c := &timedTextCue{line: line}
	var okStart, okDur bool
	if t.Name.Local == "text" {
		c.start, okStart = parseSeconds(attr(t, "start"))
		c.dur, okDur = parseSeconds(attrOr(t, "dur", "0"))
	} else {
		c.start, okStart = parseMillis(attr(t, "t"))
		c.dur, okDur = parseMillis(attrOr(t, "d", "0"))
	}
	c.ok = okStart && okDur
	return c
}

func attr(t xml.StartElement, name string) string {
	return attrOr(t, name, "")
}

func attrOr(t xml.StartElement, name, missing string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return missing
}
