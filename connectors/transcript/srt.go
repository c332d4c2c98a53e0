package transcript

import (
	"strings"
	"time"
)

// timingLine recognises the timing line of a line-based format: candidate
// says the line is meant as one (so a malformed one still ends the cue before
// it), ok that it parsed.
type timingLine func(line string) (start, end time.Duration, candidate, ok bool)

// parseSRT reads SubRip. Cue numbers are optional and need not be contiguous;
// a cue's text runs from its timing line to the next timing line (less the
// number above that), so blank lines inside text and missing blank lines
// between cues both work.
func parseSRT(b *builder, text string) {
	parseTimedLines(b, text, srtTimingLine, true)
}

// parseSBV reads YouTube SubViewer: "0:00:00.378,0:00:11.378" then text.
func parseSBV(b *builder, text string) {
	parseTimedLines(b, text, sbvTimingLine, false)
}

func srtTimingLine(line string) (start, end time.Duration, candidate, ok bool) {
	if !strings.Contains(line, "-->") {
		return 0, 0, false, false
	}
	start, end, ok = arrowTiming(line, srtClock)
	return start, end, true, ok
}

func sbvTimingLine(line string) (start, end time.Duration, candidate, ok bool) {
	t := strings.TrimSpace(line)
	if t == "" || t[0] < '0' || t[0] > '9' || strings.ContainsAny(t, " \t") ||
		!strings.Contains(t, ":") || !strings.Contains(t, ",") {
		return 0, 0, false, false
	}
	start, end, ok = sbvTiming(t)
	return start, end, true, ok
}

func parseTimedLines(b *builder, text string, timing timingLine, numbered bool) {
	lines := strings.Split(text, "\n")
	cur := -1 // index of the current cue's timing line
	var start, end time.Duration
	var curOK bool
	emit := func(textEnd int) {
		switch {
		case cur < 0:
		case !curOK:
			b.skip(cur+1, "invalid cue timing")
		default:
			for _, r := range stripMarkup(strings.Join(lines[cur+1:textEnd], "\n"), true) {
				b.add(Cue{Start: start, End: end, Speaker: r.voice, Text: r.text})
			}
		}
	}
	for i, line := range lines {
		s, e, candidate, ok := timing(line)
		if !candidate {
			continue
		}
		textEnd := i
		if numbered && i > cur+1 && isCueNumber(lines[i-1]) {
			textEnd = i - 1
		}
		emit(textEnd)
		if b.full {
			return
		}
		cur, start, end, curOK = i, s, e, ok
	}
	emit(len(lines))
}

// isCueNumber reports whether line is an SRT cue number.
func isCueNumber(line string) bool {
	line = strings.TrimSpace(line)
	_, width, next := scanDigits(line, 0)
	return width > 0 && width <= 9 && next == len(line)
}
