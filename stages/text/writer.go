package text

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

var replacementChar = []byte(string(utf8.RuneError))

// writer accumulates plain text. Separators are owed rather than written, and
// paid only before the next visible character: that is what collapses
// whitespace, merges adjacent breaks into one, and keeps whitespace off both
// ends of the result.
type writer struct {
	buf        []byte
	limit      int
	singleLine bool

	breaks  int    // newlines owed: 0, 1 or 2
	space   bool   // a space is owed
	indent  []byte // whitespace owed inside preformatted text
	invalid bool   // the last character written replaced invalid UTF-8
	full    bool   // limit reached; nothing more is written
	cut     bool   // text was dropped to respect limit
}

// paragraphBreak separates blocks by a blank line.
func (w *writer) paragraphBreak() { w.breaks, w.indent = 2, w.indent[:0] }

// lineEnd puts what follows on a line of its own (list items, table rows).
func (w *writer) lineEnd() { w.breaks, w.indent = max(w.breaks, 1), w.indent[:0] }

// lineBreak adds a newline (<br>, '\n' in <pre>), so that two make a blank line.
func (w *writer) lineBreak() { w.breaks, w.indent = min(w.breaks+1, 2), w.indent[:0] }

// wordBreak separates what follows by a space (table cells).
func (w *writer) wordBreak() { w.space = true }

// text writes decoded character data. Outside preformatted text every
// whitespace run becomes one space; inside, whitespace and line breaks are
// kept, except blank lines beyond one and whitespace ending a line. Control
// characters are dropped, and each run of invalid UTF-8 becomes one U+FFFD.
func (w *writer) text(b []byte, pre bool) {
	pre = pre && !w.singleLine
	for i := 0; i < len(b) && !w.full; {
		if c := b[i]; c > ' ' && c < 0x7f {
			j := i + 1
			for j < len(b) && b[j] > ' ' && b[j] < 0x7f {
				j++
			}
			w.write(b[i:j])
			i = j
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			if !w.invalid {
				w.write(replacementChar)
				w.invalid = true
			}
			i++
			continue
		}
		w.invalid = false
		switch {
		case pre && r == '\n':
			w.lineBreak()
		case pre && (r == '\t' || unicode.IsSpace(r) && !unicode.IsControl(r)):
			w.indent = append(w.indent, b[i:i+n]...)
		case !pre && unicode.IsSpace(r):
			w.space = true
		case unicode.IsControl(r):
		default:
			w.write(b[i : i+n])
		}
		i += n
	}
}

// write pays what is owed and appends visible text.
func (w *writer) write(b []byte) {
	if len(w.buf) > 0 {
		switch {
		case w.breaks > 0 && w.singleLine:
			w.buf = append(w.buf, ' ')
		case w.breaks > 0:
			w.buf = append(w.buf, "\n\n"[:w.breaks]...)
		case w.space:
			w.buf = append(w.buf, ' ')
		}
		w.buf = append(w.buf, w.indent...)
	}
	w.breaks, w.space, w.indent, w.invalid = 0, false, w.indent[:0], false
	w.buf = append(w.buf, b...)
	if len(w.buf) > w.limit {
		w.buf = bytes.TrimRightFunc(w.buf[:runeStart(w.buf, w.limit)], unicode.IsSpace)
		w.full, w.cut = true, true
	}
}

func (w *writer) finish() (string, bool) { return string(w.buf), w.cut }
