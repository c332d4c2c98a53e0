package transcript

import (
	"strings"
	"time"
)

// parseVTT reads WebVTT by the spec's block rules: the header runs to the
// first blank line; a block whose first or second line holds "-->" is a cue
// (the first line then being its identifier); a later "-->" line ends the
// block and starts the next; other blocks — NOTE, STYLE, REGION, legacy
// header lines — are ignored. Timings are read leniently (see vttClock).
func parseVTT(b *builder, text string) {
	lines := strings.Split(text, "\n")
	i := skipVTTHeader(lines)
	rc := rollingCaptions{on: hasKaraokeTimestamp(text), last: -1}
	for i < len(lines) && !b.full {
		if lines[i] == "" {
			i++
			continue
		}
		timing, next := vttBlock(lines, i)
		if timing >= 0 {
			addVTTCue(b, &rc, timing+1, lines[timing], lines[timing+1:next])
		}
		i = next
	}
}

// skipVTTHeader returns the index of the line after the header: the WEBVTT
// line and what follows it up to a blank line or a timing line. Without a
// signature (a .vtt file that lacks it) there is no header to skip.
func skipVTTHeader(lines []string) int {
	i := 0
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	if i == len(lines) || !strings.HasPrefix(strings.TrimLeft(lines[i], " \t\uFEFF"), "WEBVTT") {
		return 0
	}
	i++
	for i < len(lines) && lines[i] != "" && !strings.Contains(lines[i], "-->") {
		i++
	}
	return i
}

// vttBlock finds the block starting at lines[i]: the index of its timing
// line (-1 if it has none) and the index where the next block starts.
func vttBlock(lines []string, i int) (timing, next int) {
	first := i
	timing = -1
	for ; i < len(lines) && lines[i] != ""; i++ {
		if strings.Contains(lines[i], "-->") {
			if timing >= 0 || i-first > 1 {
				break
			}
			timing = i
		}
	}
	return timing, i
}

// addVTTCue adds the cue of one block (line is the 1-based timing line), one
// cue per voice when several speak in it.
func addVTTCue(b *builder, rc *rollingCaptions, line int, timingLine string, text []string) {
	start, end, ok := arrowTiming(timingLine, vttClock)
	if !ok {
		b.skip(line, "invalid cue timing")
		return
	}
	runs := stripMarkup(strings.Join(text, "\n"), false)
	if len(runs) == 1 && rc.on {
		runs[0].text = rc.newText(b, start, end, runs[0].text)
	}
	before := len(b.t.Cues)
	for _, r := range runs {
		b.add(Cue{Start: start, End: end, Speaker: r.voice, Text: r.text})
	}
	if len(b.t.Cues) > before {
		rc.last = len(b.t.Cues) - 1
	}
}

// rollingCaptions undoes YouTube auto-captions' rolling display, where each
// cue repeats the line shown before it and then "types" the next, and a
// short cue between them repeats the finished line once more. Only files
// with karaoke timestamps get this: elsewhere a repeated line is real.
type rollingCaptions struct {
	on       bool
	last     int    // index in Cues of the last cue added, -1 if none
	lastLine string // the last line that cue showed
}

// newText returns the part of a cue's text not already shown by the cue
// before it, when this cue follows that one directly in time. A cue with
// nothing new extends the previous cue instead.
func (rc *rollingCaptions) newText(b *builder, start, end time.Duration, text string) string {
	lines := plainLines(text)
	if len(lines) == 0 {
		return ""
	}
	last := lines[len(lines)-1]
	if rc.last >= 0 && lines[0] == rc.lastLine {
		prev := &b.t.Cues[rc.last]
		if start > prev.Start && start >= prev.End && start-prev.End <= time.Second {
			lines = lines[1:]
			if len(lines) == 0 {
				prev.End = max(prev.End, end)
			}
		}
	}
	rc.lastLine = last
	return strings.Join(lines, "\n")
}

// hasKaraokeTimestamp reports whether text holds an inline cue timestamp
// (<00:05:04.199>), the mark of YouTube's rolling auto-captions.
func hasKaraokeTimestamp(text string) bool {
	for i := strings.IndexByte(text, '<'); i >= 0; {
		if _, end, ok := scanClock(text, i+1, vttClock); ok && end < len(text) && text[end] == '>' {
			return true
		}
		next := strings.IndexByte(text[i+1:], '<')
		if next < 0 {
			return false
		}
		i += next + 1
	}
	return false
}
