package transcript

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxRawCueBytes bounds the raw text (markup included) of one cue that is
// processed at all: the plain text is cut at MaxCueTextBytes anyway, and
// this keeps a 10 MB single-line "cue" from costing passes over all of it.
const maxRawCueBytes = 16 * MaxCueTextBytes

func clipRaw(s string) string { return truncateUTF8(s, maxRawCueBytes) }

// voiceText is cue text spoken by one voice (WebVTT <v Name>); voice is ""
// where no voice span says who speaks.
type voiceText struct{ voice, text string }

// stripMarkup removes the inline markup of cue text — WebVTT and SRT tags
// (<i>, <c.class>, <v Name>, <font color>, karaoke <00:00:01.000>), ruby
// annotations (<rt> content is a reading aid, not speech) and, with assTags,
// ASS override blocks like {\an8} — and decodes character references. The
// text is split where the voice changes; line breaks are kept.
//
// A '<' starts a tag only before a letter, '/', '!' or '?' (or a timestamp
// that closes with '>'), so "a < b" and "<3" stay text; a tag without its
// '>' runs to the end, as in HTML.
func stripMarkup(s string, assTags bool) []voiceText {
	m := markupStripper{src: clipRaw(s), assTags: assTags}
	m.run()
	return mergeVoices(m.runs)
}

type markupStripper struct {
	src     string
	assTags bool

	runs      []voiceText
	buf       strings.Builder
	voice     string
	inRuby    bool // inside <rt> or <rp>: skip the text
	textStart int  // start of the raw text not yet copied to buf
	noBrace   bool // no '}' left in src: stop looking for ASS blocks
}

func (m *markupStripper) run() {
	s := m.src
	specials := "<"
	if m.assTags {
		specials = "<{"
	}
	for i := 0; i < len(s); {
		j := strings.IndexAny(s[i:], specials)
		if j < 0 {
			break
		}
		i += j
		end := m.markupEnd(i)
		if end <= i {
			i++
			continue
		}
		m.flushText(i)
		if s[i] == '<' {
			m.tag(s[i+1 : end])
		}
		i, m.textStart = end, end
	}
	m.flushText(len(s))
	m.runs = append(m.runs, voiceText{m.voice, m.buf.String()})
}

// markupEnd returns the index after the tag or ASS block at s[i], or i if
// there is none.
func (m *markupStripper) markupEnd(i int) int {
	s := m.src
	if i+1 >= len(s) {
		return i
	}
	c := s[i+1]
	if s[i] == '{' {
		if c != '\\' || m.noBrace {
			return i
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			m.noBrace = true
			return i
		}
		return i + j + 1
	}
	switch {
	case isASCIILetter(c) || c == '/' || c == '!' || c == '?':
		if j := strings.IndexByte(s[i:], '>'); j >= 0 {
			return i + j + 1
		}
		return len(s)
	case c >= '0' && c <= '9':
		// a karaoke timestamp such as <00:01:02.345>
		for j := i + 1; j < len(s) && j < i+20; j++ {
			switch {
			case s[j] == '>':
				return j + 1
			case s[j] != ':' && s[j] != '.' && (s[j] < '0' || s[j] > '9'):
				return i
			}
		}
	}
	return i
}

// tag acts on one tag, given without its angle brackets.
func (m *markupStripper) tag(t string) {
	t = strings.TrimSuffix(t, ">")
	closing := strings.HasPrefix(t, "/")
	t = strings.TrimPrefix(t, "/")
	nameEnd := strings.IndexFunc(t, func(r rune) bool { return r == '.' || r == '/' || unicode.IsSpace(r) })
	if nameEnd < 0 {
		nameEnd = len(t)
	}
	name := strings.ToLower(t[:nameEnd])
	switch name {
	case "v":
		if closing {
			m.startVoice("")
		} else {
			m.startVoice(voiceAnnotation(t[nameEnd:]))
		}
	case "rt", "rp":
		m.inRuby = !closing
	case "ruby":
		m.inRuby = false
	case "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6":
		m.buf.WriteByte('\n')
	}
}

// voiceAnnotation returns the speaker of "<v.class Name>" given ".class Name".
func voiceAnnotation(rest string) string {
	i := strings.IndexFunc(rest, unicode.IsSpace)
	if i < 0 {
		return ""
	}
	return strings.Join(strings.Fields(html.UnescapeString(rest[i:])), " ")
}

func (m *markupStripper) startVoice(v string) {
	m.runs = append(m.runs, voiceText{m.voice, m.buf.String()})
	m.buf.Reset()
	m.voice = v
}

func (m *markupStripper) flushText(end int) {
	if !m.inRuby && end > m.textStart {
		m.buf.WriteString(html.UnescapeString(m.src[m.textStart:end]))
	}
}

// mergeVoices drops empty runs, joins neighbours with the same voice and
// gives text outside any voice span to the voice before it (or after it, at
// the start): "<v A>Hi</v> <i>laughs</i>" is all A's.
func mergeVoices(runs []voiceText) []voiceText {
	var out []voiceText
	lead := "" // voiceless text before the first voice
	for _, r := range runs {
		if strings.TrimSpace(r.text) == "" {
			continue
		}
		switch {
		case len(out) == 0 && r.voice == "":
			lead += r.text
		case len(out) == 0:
			out = append(out, voiceText{r.voice, lead + r.text})
		case r.voice == "" || r.voice == out[len(out)-1].voice:
			out[len(out)-1].text += r.text
		default:
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return []voiceText{{"", lead}}
	}
	return out
}

// markupText is stripMarkup for formats without voices: all text, one string.
func markupText(s string) string {
	runs := stripMarkup(s, false)
	if len(runs) == 1 {
		return runs[0].text
	}
	var b strings.Builder
	for _, r := range runs {
		b.WriteString(r.text)
		b.WriteByte(' ')
	}
	return b.String()
}

// plain makes decoded text plain: whitespace runs (line breaks included)
// become one space, control characters and stray BOMs go, and so does any
// '<' that would still read as a tag (entity-escaped markup such as
// "&lt;i&gt;" decodes to a real tag) — no markup reaches the archive.
func plain(s string) string {
	if isPlain(s) {
		return s
	}
	// Controls go first, so that "<\x1fA" cannot turn into a tag after dropTags.
	s = dropTags(strings.Map(func(r rune) rune {
		if isStray(r) {
			return -1
		}
		return r
	}, s))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isPlain reports whether plain would return s unchanged, without allocating:
// most cue text is already plain.
func isPlain(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) || isStray(r) {
				return false
			}
			i += size
			continue
		}
		switch {
		case c < ' ' || c == 0x7F:
			return false
		case c == ' ' && s[i+1] == ' ':
			return false
		case c == '<' && i+1 < len(s) && isTagStartByte(s[i+1]):
			return false
		}
		i++
	}
	return true
}

// isStray reports whether r has no place in plain text: a control character
// other than whitespace, or a byte order mark inside the text.
func isStray(r rune) bool {
	return (unicode.IsControl(r) && !unicode.IsSpace(r)) || r == '\uFEFF'
}

// dropTags removes whole tags ("<i>", "</i>") from decoded text, then any '<'
// still followed by a letter or '/'. Both passes are linear.
func dropTags(s string) string {
	if !hasTagStart(s) {
		return s
	}
	out := make([]byte, 0, len(s))
	closeAhead := true // a '>' may still follow; false once none does
	for i := 0; i < len(s); i++ {
		if s[i] == '<' && i+1 < len(s) && isTagStartByte(s[i+1]) {
			if closeAhead {
				if j := strings.IndexByte(s[i:], '>'); j >= 0 {
					i += j
					continue
				}
				closeAhead = false
			}
			continue
		}
		out = append(out, s[i])
	}
	// Removing a tag can join a '<' to a letter ("<<b>x"): drop such '<'
	// working backwards, where what follows is already final.
	w := len(out)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] == '<' && w < len(out) && isTagStartByte(out[w]) {
			continue
		}
		w--
		out[w] = out[i]
	}
	return string(out[w:])
}

func hasTagStart(s string) bool {
	for i := strings.IndexByte(s, '<'); i >= 0 && i+1 < len(s); {
		if isTagStartByte(s[i+1]) {
			return true
		}
		j := strings.IndexByte(s[i+1:], '<')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return false
}

func isTagStartByte(c byte) bool { return isASCIILetter(c) || c == '/' }

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// plainLines splits cue text into its non-blank lines, each made plain.
func plainLines(s string) []string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if p := plain(line); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// endsSentence reports whether text ends a sentence: . ! ? … or CJK 。！？,
// perhaps followed by closing quotes or brackets.
func endsSentence(text string) bool {
	text = strings.TrimRightFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(`"')]”’」』）»`, r)
	})
	r, _ := utf8.DecodeLastRuneInString(text)
	return strings.ContainsRune(".!?…。！？", r)
}
