package text

import (
	"slices"
	"strings"
	"unicode"

	"github.com/abadojack/whatlanggo"
)

// Language detection uses whatlanggo, which ranks a text's trigrams by
// frequency and compares them with a profile of the 300 most frequent
// trigrams of each of its 84 languages. Its profiles are Go literals: they add
// about 0.5 MB to the binary and 1 MB to memory, with nothing to load at run
// time. lingua, used before, embedded 124 MB of models in every binary and
// took about 64 MB of memory once they were loaded, too much for a daemon
// meant to be lean. whatlanggo is less sure of short texts than lingua was
// (see TestDetectionAccuracy): more of them get no language, few a wrong one.

// defaultLanguages is the detection set when the configuration names none:
// the languages most blogs, talks and docs of the field are written in, less
// those whatlanggo does not know (Catalan and Slovak). Each candidate costs
// time on every detection of a text in its script, and close neighbours
// (Danish and both Norwegians, Serbian and Macedonian) split short texts
// between them for little gain.
var defaultLanguages = []string{
	"ar", "bg", "cs", "da", "de", "el", "en", "es", "fa", "fi", "fr", "he", "hi", "hu",
	"id", "it", "ja", "ko", "nb", "nl", "pl", "pt", "ro", "ru", "sv", "th", "tr", "uk",
	"vi", "zh",
}

const (
	// minConfidence is the whatlanggo confidence, between 0 and 1, a result
	// needs; below it Lang stays empty. whatlanggo calls a result reliable
	// above 0.8. On the 162 sentences and 28 paragraphs of
	// TestDetectionAccuracy, every wrong answer but one (at 1.0) scored under
	// 0.51, while 12 right ones scored between 0.6 and 0.8.
	minConfidence = 0.6
	// langSampleBytes bounds the text a detection looks at: its cost grows with
	// the text, and a few sentences decide the language as well as a book does.
	langSampleBytes = 1024
)

// iso6391 gives the ISO 639-1 code of each whatlanggo language that has one,
// and langByCode the language of each code. whatlanggo's own Lang.Iso6391
// builds a map on every call, so these are computed once.
var iso6391, langByCode = languageCodes()

func languageCodes() (map[whatlanggo.Lang]string, map[string]whatlanggo.Lang) {
	codes := make(map[whatlanggo.Lang]string, len(whatlanggo.Langs))
	langs := make(map[string]whatlanggo.Lang, len(whatlanggo.Langs))
	for l := range whatlanggo.Langs {
		code := l.Iso6391()
		if l == whatlanggo.Pes {
			// Iranian Persian (ISO 639-3 pes) has no ISO 639-1 code of its own
			// but is what "fa" (Persian, fas) means in practice; whatlanggo
			// maps Mandarin to "zh" for the same reason.
			code = "fa"
		}
		if code != "" {
			codes[l] = code
			langs[code] = l
		}
	}
	return codes, langs
}

// supportedCodes lists the ISO 639-1 codes that languages accepts, sorted.
func supportedCodes() []string {
	codes := make([]string, 0, len(langByCode))
	for code := range langByCode {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	return codes
}

// parseLanguage returns whatlanggo's language for an ISO 639-1 code, in any
// case.
func parseLanguage(code string) (whatlanggo.Lang, bool) {
	l, ok := langByCode[strings.ToLower(code)]
	return l, ok
}

// detector detects languages among a fixed set. It holds no state but the set,
// which it only reads, and whatlanggo.DetectWithOptions is a pure function of
// its arguments, so a detector is safe for concurrent use.
//
// Results do not vary between runs. whatlanggo's only dependence on map order
// is that it ranks candidate languages in that order with a stable sort, so
// that two at the same distance from the text may come first in either order;
// but then their scores are equal, the confidence is 0 and detect declines.
// Everything else (the choice of script, the ranking of the text's trigrams,
// the integer distances) depends on the text alone.
type detector struct {
	opts whatlanggo.Options // Whitelist holds the set; detect reads it to filter too
}

func newDetector(langs []whatlanggo.Lang) *detector {
	set := make(map[whatlanggo.Lang]bool, len(langs))
	for _, l := range langs {
		set[l] = true
	}
	return &detector{opts: whatlanggo.Options{Whitelist: set}}
}

// detect returns the ISO 639-1 code of text's language, or "" when unsure.
func (d *detector) detect(text string) string {
	sample := langSample(text)
	if topScriptTied(sample) {
		return ""
	}
	info := whatlanggo.DetectWithOptions(sample, d.opts)
	// The whitelist restricts only the scripts several languages share: a Han,
	// Greek or Thai text is Chinese, Greek or Thai whatever the set, with
	// confidence 1. A script with a single candidate in the set gives that
	// candidate confidence 1 as well.
	if !d.opts.Whitelist[info.Lang] || info.Confidence < minConfidence {
		return ""
	}
	return iso6391[info.Lang]
}

// langSample returns the start of text up to langSampleBytes, ending at a
// space so that no word is cut.
func langSample(text string) string {
	if len(text) <= langSampleBytes {
		return text
	}
	cut := runeStart(text, langSampleBytes)
	if i := strings.LastIndexFunc(text[:cut], unicode.IsSpace); i > 0 {
		return text[:i]
	}
	return text[:cut]
}

// scripts are the writing systems topScriptTied tells words apart by: those
// whatlanggo knows, and Armenian, Latin first because it is the most
// frequent. Han and kana are one, since whatlanggo reads them together as
// Japanese (or Han alone as Chinese).
var scripts = [...][]*unicode.RangeTable{
	{unicode.Latin}, {unicode.Arabic}, {unicode.Armenian}, {unicode.Bengali},
	{unicode.Cyrillic}, {unicode.Devanagari}, {unicode.Ethiopic}, {unicode.Georgian},
	{unicode.Greek}, {unicode.Gujarati}, {unicode.Gurmukhi},
	{unicode.Han, unicode.Hiragana, unicode.Katakana}, {unicode.Hangul}, {unicode.Hebrew},
	{unicode.Kannada}, {unicode.Khmer}, {unicode.Malayalam}, {unicode.Myanmar},
	{unicode.Oriya}, {unicode.Sinhala}, {unicode.Tamil}, {unicode.Telugu}, {unicode.Thai},
}

func scriptOf(r rune) int {
	for i, ts := range scripts {
		if unicode.In(r, ts...) {
			return i
		}
	}
	return -1
}

// topScriptTied reports whether two writing systems share the highest count of
// words in text ("Hello world Привет мир Γειά"). whatlanggo would take such a
// text for a text of one of them, judged by that half alone; detect declines
// it instead. A Han, Hangul or kana character is a word alone, since
// whatlanggo weighs scripts by characters and those carry a word's worth each;
// otherwise a word is a run of letters, and counts for a script only if all
// its letters belong to it.
func topScriptTied(text string) bool {
	const (
		noWord = -2
		mixed  = -1
	)
	var counts [len(scripts)]int
	word := noWord // script of the word being read
	for _, r := range text {
		switch {
		case !unicode.IsLetter(r):
			if word >= 0 {
				counts[word]++
			}
			word = noWord
		case word == noWord && unicode.In(r, unicode.Han, unicode.Hangul, unicode.Hiragana, unicode.Katakana):
			counts[scriptOf(r)]++
		case word == noWord:
			word = scriptOf(r)
		case word != mixed && scriptOf(r) != word:
			word = mixed
		}
	}
	if word >= 0 {
		counts[word]++
	}
	top, atTop := 0, 0
	for _, n := range counts {
		switch {
		case n > top:
			top, atTop = n, 1
		case n == top && n > 0:
			atTop++
		}
	}
	return atTop > 1
}
