// Package transcript parses talk and podcast transcripts — WebVTT, SRT, SBV,
// YouTube timedtext XML, Podcasting 2.0 JSON and HTML, plain text and
// Markdown — into timed cues of plain text, merges cues into segments, and
// reads the metadata sidecar that may sit beside a transcript file.
//
// Everything here is pure except LoadSidecar; watching files and emitting
// entries is the source's job.
package transcript

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits that bound the work one file can cause.
const (
	MaxInputBytes   = 64 << 20  // larger inputs are rejected
	MaxCues         = 1_000_000 // cues past this are dropped (and reported)
	MaxCueTextBytes = 64 << 10  // longer cue text is truncated (and reported)
	maxProblems     = 10        // Transcript.Problems keeps the first few only
)

// Format names, as found in Transcript.Format.
const (
	FormatVTT         = "vtt"
	FormatSRT         = "srt"
	FormatSBV         = "sbv"
	FormatYouTubeXML  = "youtube-xml"
	FormatPodcastJSON = "podcast-json"
	FormatPodcastHTML = "podcast-html"
	FormatText        = "text"
	FormatMarkdown    = "markdown"
)

// Errors Parse wraps, so callers can tell a bad file from a file still being written.
var (
	ErrTooLarge        = errors.New("transcript: input too large")
	ErrUnknownFormat   = errors.New("transcript: not a recognised transcript format")
	ErrNoCues          = errors.New("transcript: no usable cues")
	ErrUnknownEncoding = errors.New("transcript: unknown character encoding")
)

// Cue is one timed piece of a transcript, its text already plain.
type Cue struct {
	Start, End time.Duration // End >= Start; both 0 for formats without timings
	Speaker    string        // "" if unknown
	Text       string        // plain text: no markup, entities decoded, whitespace collapsed, never empty
}

// Transcript is a parsed transcript file.
type Transcript struct {
	Format   string // one of the Format constants
	Encoding string // character encoding the bytes were decoded from, e.g. "utf-8", "gb18030"
	Title    string // if the format carries one (Markdown "# heading"); else ""
	Cues     []Cue
	Skipped  int      // malformed cues dropped
	Problems []string // the first few problems met (skipped cues, truncations), for logs
}

// Parse detects the format of a transcript from its content first and the
// extension of name second, decodes its character encoding and parses it.
// Malformed cues are skipped and counted; the error is non-nil only when the
// input is too large or nothing usable is found.
func Parse(name string, data []byte) (*Transcript, error) {
	return ParseWithEncoding(name, data, "")
}

// ParseWithEncoding is Parse with the character encoding named (a WHATWG label
// such as "windows-1252" or "gb2312"), for when a sidecar or the configuration
// knows better than detection. A byte order mark still wins; "" detects.
func ParseWithEncoding(name string, data []byte, encoding string) (*Transcript, error) {
	if len(data) > MaxInputBytes {
		return nil, fmt.Errorf("%w: %s is %d bytes, the limit is %d", ErrTooLarge, name, len(data), MaxInputBytes)
	}
	text, enc, err := decodeText(data, encoding)
	if err != nil {
		return nil, err
	}
	text = normalizeNewlines(strings.ReplaceAll(text, "\x00", "\uFFFD"))
	if looksBinary(text) {
		return nil, fmt.Errorf("%w: %s holds binary data", ErrUnknownFormat, name)
	}
	format := detectFormat(name, text)
	if format == "" {
		return nil, fmt.Errorf("%w: %s", ErrUnknownFormat, name)
	}
	b := &builder{t: Transcript{Format: format, Encoding: enc}, maxCues: MaxCues}
	parsers[format](b, text)
	if format != FormatPodcastJSON && format != FormatPodcastHTML {
		labelSpeakers(b.t.Cues)
	}
	if len(b.t.Cues) == 0 {
		return nil, fmt.Errorf("%w in %s (read as %s; %d malformed cues skipped%s)",
			ErrNoCues, name, format, b.t.Skipped, problemSummary(b.t.Problems))
	}
	return &b.t, nil
}

var parsers = map[string]func(*builder, string){
	FormatVTT:         parseVTT,
	FormatSRT:         parseSRT,
	FormatSBV:         parseSBV,
	FormatYouTubeXML:  parseTimedText,
	FormatPodcastJSON: parsePodcastJSON,
	FormatPodcastHTML: parsePodcastHTML,
	FormatText:        parseText,
	FormatMarkdown:    parseMarkdown,
}

func problemSummary(problems []string) string {
	if len(problems) == 0 {
		return ""
	}
	return ": " + strings.Join(problems, "; ")
}

// normalizeNewlines turns CRLF and lone CR into LF, as the WebVTT spec does;
// every line-based format here needs the same.
func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// looksBinary reports whether the start of text is too full of control and
// replacement characters (undecodable bytes) to be writing in any encoding.
func looksBinary(text string) bool {
	head := text[:min(len(text), sniffBytes)]
	var n, bad int
	for i := 0; i < len(head); n++ {
		r, size := rune(head[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(head[i:])
		}
		if r == utf8.RuneError || (unicode.IsControl(r) && !unicode.IsSpace(r)) {
			bad++
		}
		i += size
	}
	return bad*10 > n
}

// builder collects cues while enforcing the limits and the Cue invariants.
type builder struct {
	t       Transcript
	maxCues int
	full    bool // maxCues reached: parsers stop
}

// add appends c with its text made plain; empty cues are dropped silently
// (a blank caption is not malformed). It reports false once maxCues is reached.
func (b *builder) add(c Cue) bool {
	if b.full {
		return false
	}
	c.Text = plain(c.Text)
	if c.Text == "" {
		return true
	}
	if len(b.t.Cues) == b.maxCues {
		b.full = true
		b.problem("more than %d cues: the rest is ignored", b.maxCues)
		return false
	}
	if len(c.Text) > MaxCueTextBytes {
		b.problem("cue at %s: text truncated to %d bytes", c.Start, MaxCueTextBytes)
		c.Text = truncateUTF8(c.Text, MaxCueTextBytes)
	}
	if c.End < c.Start {
		c.End = c.Start // keep the cue; a negative duration would only mislead
	}
	c.Speaker = plain(c.Speaker)
	b.t.Cues = append(b.t.Cues, c)
	return true
}

// skip counts a malformed cue that starts at the given 1-based line (0 if unknown).
func (b *builder) skip(line int, reason string) {
	b.t.Skipped++
	if line > 0 {
		b.problem("line %d: %s", line, reason)
	} else {
		b.problem("%s", reason)
	}
}

func (b *builder) problem(format string, args ...any) {
	if len(b.t.Problems) < maxProblems {
		b.t.Problems = append(b.t.Problems, fmt.Sprintf(format, args...))
	}
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimSpace(s[:n])
}
