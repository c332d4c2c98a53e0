package transcript

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Segment defaults, used when Segments is given zero or negative limits.
const (
	DefaultSegmentChars    = 1000
	DefaultSegmentDuration = 60 * time.Second
)

// Segment is a run of consecutive cues of one speaker, merged into a piece of
// text long enough to be worth indexing on its own.
type Segment struct {
	Start, End time.Duration
	Speakers   []string // the speaker if known; nil otherwise
	Text       string
	FirstCue   int // index of the segment's first cue: with the file, its stable identity
}

// Segments merges consecutive cues into segments of at most maxChars
// characters and maxDur from first start to last end, never across a change
// of speaker. When a limit forces a break it falls back to the last sentence
// end (. ! ? … 。！？) in the segment, if that keeps the segment at least half
// full. A single cue is never cut, so a cue longer than maxChars is a segment
// of its own. The result depends only on the arguments.
func Segments(cues []Cue, maxChars int, maxDur time.Duration) []Segment {
	if maxChars <= 0 {
		maxChars = DefaultSegmentChars
	}
	if maxDur <= 0 {
		maxDur = DefaultSegmentDuration
	}
	var out []Segment
	for i := 0; i < len(cues); {
		n := segmentLength(cues[i:], maxChars, maxDur)
		out = append(out, newSegment(cues[i:i+n], i))
		i += n
	}
	return out
}

// segmentLength returns how many of cues (at least one) the next segment takes.
func segmentLength(cues []Cue, maxChars int, maxDur time.Duration) int {
	first := cues[0]
	chars := utf8.RuneCountInString(first.Text)
	start, end := first.Start, first.End
	sentence := 0 // cues up to the last sentence end
	var sentenceChars int
	var sentenceDur time.Duration
	for n := 1; ; n++ {
		if endsSentence(cues[n-1].Text) {
			sentence, sentenceChars, sentenceDur = n, chars, end-start
		}
		if n == len(cues) || cues[n].Speaker != first.Speaker {
			return n
		}
		c := cues[n]
		chars += 1 + utf8.RuneCountInString(c.Text)
		start, end = min(start, c.Start), max(end, c.End)
		if chars > maxChars || end-start > maxDur {
			if sentence > 0 && sentence < n && (sentenceChars*2 >= maxChars || sentenceDur*2 >= maxDur) {
				return sentence
			}
			return n
		}
	}
}

func newSegment(cues []Cue, first int) Segment {
	s := Segment{Start: cues[0].Start, End: cues[0].End, FirstCue: first}
	if sp := cues[0].Speaker; sp != "" {
		s.Speakers = []string{sp}
	}
	var text strings.Builder
	prev := ""
	for _, c := range cues {
		s.Start, s.End = min(s.Start, c.Start), max(s.End, c.End)
		if needsSpace(prev, c.Text) {
			text.WriteByte(' ')
		}
		text.WriteString(c.Text)
		if c.Text != "" {
			prev = c.Text
		}
	}
	s.Text = text.String()
	return s
}
