package text

import (
	"unicode"
	"unicode/utf8"
)

// countWords counts the words of plain text. A word is a run of letters and
// digits (combining marks included); an apostrophe or hyphen between two such
// characters joins them ("don't", "state-of-the-art" and "Jean-Luc" are one
// word each, "3.14" is two). Each CJK ideograph counts as a word of its own,
// since Chinese and Japanese do not separate words by spaces; a run of kana
// counts as one. Scripts without spaces and without ideographs (Thai, Khmer)
// count as one word per space-separated run.
func countWords(s string) int {
	words, state := 0, outside
	for i := 0; i < len(s); {
		var cl charClass
		if c := s[i]; c < utf8.RuneSelf {
			cl = asciiClass[c]
			i++
		} else {
			r, n := utf8.DecodeRuneInString(s[i:])
			cl = classify(r)
			i += n
		}
		switch cl {
		case wordChar:
			if state == outside {
				words++
			}
			state = inside
		case joiner:
			if state == inside {
				state = joined
			} else {
				state = outside
			}
		case mark:
			if state == joined {
				state = outside
			}
		case ideograph:
			words++
			state = outside
		default:
			state = outside
		}
	}
	return words
}

type charClass uint8

const (
	separator charClass = iota
	wordChar
	joiner    // apostrophe or hyphen: part of a word only between word characters
	mark      // combining mark: continues a word, never starts one
	ideograph // a word by itself
)

// Where countWords is between characters.
const (
	outside = iota
	inside
	joined // inside a word, right after a joiner
)

// asciiClass precomputes classify for ASCII, which is most of the text counted.
var asciiClass = func() (t [utf8.RuneSelf]charClass) {
	for c := range t {
		t[c] = classify(rune(c))
	}
	return t
}()

func classify(r rune) charClass {
	switch {
	case r == '\'' || r == '-' || r == '’' || r == '‐' || r == '‑': // ’ right single quote, ‐ hyphen, ‑ non-breaking hyphen
		return joiner
	case r < utf8.RuneSelf:
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return wordChar
		}
		return separator
	case unicode.Is(unicode.Han, r):
		return ideograph
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		return wordChar
	case unicode.IsMark(r):
		return mark
	}
	return separator
}
