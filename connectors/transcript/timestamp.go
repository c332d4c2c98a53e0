package transcript

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// maxHours bounds timestamps well inside time.Duration (about 2.5 million hours).
const maxHours = 999_999

// clockRules says how leniently a clock timestamp ([h:]m:s[.fff]) is read.
type clockRules struct {
	twoDigitFields bool   // minutes and seconds have exactly two digits (WebVTT)
	fractionSeps   string // characters that may introduce the fraction
}

var (
	// vttClock follows the WebVTT spec, leniently where it is unambiguous:
	// 1-digit hours, 1-2 digit fractions, no fraction, ',' before the fraction.
	vttClock = clockRules{twoDigitFields: true, fractionSeps: ".,"}
	// srtClock also takes single-digit fields ("0:0:7,560").
	srtClock = clockRules{fractionSeps: ".,"}
	// sbvClock is srtClock where ',' separates start from end.
	sbvClock = clockRules{fractionSeps: "."}
)

// scanClock reads a timestamp at s[i:], returning it and the index after it.
// Fields may not be empty or over-long; a fraction has 1 to 3 digits and is
// read as a decimal fraction (".5" is 500ms). Hours are optional.
func scanClock(s string, i int, r clockRules) (d time.Duration, next int, ok bool) {
	var fields [3]int64
	var widths [3]int
	n := 0
	for {
		v, w, j := scanDigits(s, i)
		if w == 0 || w > 7 {
			return 0, i, false
		}
		fields[n], widths[n], n, i = v, w, n+1, j
		if n == 3 || i >= len(s) || s[i] != ':' {
			break
		}
		i++
	}
	if n < 2 {
		return 0, i, false
	}
	var h, m, sec int64
	mw, sw := widths[n-2], widths[n-1]
	if n == 3 {
		h, m, sec = fields[0], fields[1], fields[2]
	} else {
		m, sec = fields[0], fields[1]
	}
	switch {
	case r.twoDigitFields && (mw != 2 || sw != 2):
		return 0, i, false
	case !r.twoDigitFields && (sw > 2 || (n == 3 && mw > 2)):
		return 0, i, false
	case sec > 59 || (n == 3 && m > 59) || h > maxHours || m > maxHours*60:
		return 0, i, false
	}
	var ms int64
	fraction := 0
	if i < len(s) && strings.IndexByte(r.fractionSeps, s[i]) >= 0 {
		v, w, j := scanDigits(s, i+1)
		if w == 0 || w > 3 {
			return 0, i, false
		}
		ms, i, fraction = v*fractionScale[w], j, w
	}
	// A short or missing fraction is only unambiguous where the timestamp
	// clearly ends; "00:00:01\x00.000" is damage, not a lenient timestamp.
	if fraction != 3 && i < len(s) && strings.IndexByte(" \t,-", s[i]) < 0 {
		return 0, i, false
	}
	total := ((h*60+m)*60+sec)*1000 + ms
	return time.Duration(total) * time.Millisecond, i, true
}

// fractionScale turns a fraction of 1, 2 or 3 digits into milliseconds.
var fractionScale = [4]int64{0, 100, 10, 1}

// scanDigits reads the run of ASCII digits at s[i:]: its value (meaningful
// only for up to 18 digits), its width and the index after it.
func scanDigits(s string, i int) (v int64, width, next int) {
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		if j-i < 18 {
			v = v*10 + int64(s[j]-'0')
		}
		j++
	}
	return v, j - i, j
}

func skipBlanks(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// arrowTiming reads a "start --> end" timing line (WebVTT, SRT). Whatever
// follows the end — cue settings, SRT X1/Y1 coordinates — is ignored.
func arrowTiming(line string, r clockRules) (start, end time.Duration, ok bool) {
	start, i, ok := scanClock(line, skipBlanks(line, 0), r)
	if !ok {
		return 0, 0, false
	}
	i = skipBlanks(line, i)
	if !strings.HasPrefix(line[i:], "-->") {
		return 0, 0, false
	}
	end, _, ok = scanClock(line, skipBlanks(line, i+3), r)
	return start, end, ok
}

// sbvTiming reads an SBV "0:00:00.378,0:00:11.378" timing line, which must
// hold nothing else.
func sbvTiming(line string) (start, end time.Duration, ok bool) {
	line = strings.TrimSpace(line)
	start, i, ok := scanClock(line, 0, sbvClock)
	if !ok || i >= len(line) || line[i] != ',' {
		return 0, 0, false
	}
	end, i, ok = scanClock(line, i+1, sbvClock)
	return start, end, ok && i == len(line)
}

// parseClock reads a whole string as a lenient clock time ("0:53", "1:02:03.5").
func parseClock(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	d, i, ok := scanClock(s, 0, srtClock)
	return d, ok && i == len(s)
}

// parseSeconds reads a non-negative decimal number of seconds ("1.54").
func parseSeconds(s string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, false
	}
	return secondsDuration(f)
}

// parseMillis reads a non-negative whole number of milliseconds ("1540").
func parseMillis(s string) (time.Duration, bool) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || v < 0 || v > maxHours*3600*1000 {
		return 0, false
	}
	return time.Duration(v) * time.Millisecond, true
}

// secondsDuration converts seconds to a Duration rounded to the millisecond,
// refusing negative, non-finite and absurdly large values.
func secondsDuration(f float64) (time.Duration, bool) {
	if math.IsNaN(f) || f < 0 || f > maxHours*3600 {
		return 0, false
	}
	return time.Duration(math.Round(f*1000)) * time.Millisecond, true
}
