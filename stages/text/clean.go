package text

import (
	"strings"
	"unicode/utf8"
)

// cleanText removes control characters other than '\n' and '\t', replaces each
// run of invalid UTF-8 with U+FFFD and cuts the result to limit bytes at a
// character boundary, reporting whether it cut. It is the whole treatment of
// text that is not HTML (log lines, transcript cues), so clean text — nearly
// all of it — is returned as is, without allocating.
func cleanText(s string, limit int) (string, bool) {
	i := dirtyAt(s)
	if i < len(s) {
		s = rewrite(s, i)
	}
	if len(s) > limit {
		return s[:runeStart(s, limit)], true
	}
	return s, false
}

// dirtyAt returns the index of the first byte that cleanText must change, or len(s).
func dirtyAt(s string) int {
	i := 0
	for ; i+8 <= len(s) && printableASCII(s[i:i+8]); i += 8 {
	}
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < ' ' && c != '\n' && c != '\t' || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || isC1(r) {
			return i
		}
		i += n
	}
	return len(s)
}

// printableASCII reports whether 8 bytes are all in ' '..'~', testing them
// at once as one 64-bit word: a log line is mostly such bytes, and this is
// about three times faster than looking at them one by one.
func printableASCII(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	below := (x - ones*' ') &^ x & highs // a byte < ' ' (exact when no high bit is set)
	del := x ^ ones*0x7f
	isDel := (del - ones) &^ del & highs // a byte == 0x7f
	return x&highs|below|isDel == 0
}

// rewrite cleans s from index i, the first byte that needs it.
func rewrite(s string, i int) string {
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	invalid := false
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			if !invalid {
				b.WriteRune(utf8.RuneError)
			}
			invalid = true
			i++
			continue
		case r < ' ' && r != '\n' && r != '\t', r == 0x7f, isC1(r):
		default:
			b.WriteString(s[i : i+n])
		}
		invalid = false
		i += n
	}
	return b.String()
}

func isC1(r rune) bool { return r >= 0x80 && r <= 0x9f }

// runeStart returns the largest i <= n at which a character of s starts.
func runeStart[T string | []byte](s T, n int) int {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}
