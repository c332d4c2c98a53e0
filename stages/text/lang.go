package text

import (
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/pemistahl/lingua-go"
)

// Language detection uses lingua-go: it is maintained, and on short texts
// such as transcript cues it is far more accurate than libraries that compare
// a text's most frequent trigrams with fixed profiles (whatlanggo, used
// before and last released in 2019, left 18 of the 64 short sentences of
// evalSentences without a language; lingua leaves 2). The price is size:
// lingua embeds its n-gram models in every binary (about 128 MB), and the
// trigram models of the configured languages take about 64 MB of memory once
// loaded. They are loaded on the first detection, not when the stage is
// built, so validating a configuration, or a pipeline that never detects a
// language (logs only), loads no model. Low-accuracy mode scores trigrams
// only, so that only trigram models are loaded (high-accuracy mode adds
// unigram to fivegram models for texts under 120 characters) and detection is
// faster; minConfidenceGap turns its doubtful answers into none.

// defaultLanguages is the detection set when the configuration names none:
// the languages most blogs, talks and docs of the field are written in. Each
// candidate costs memory, and time on every detection of a text in its
// script, and close neighbours split short texts between them.
var defaultLanguages = []string{
	"ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "fa", "fi", "fr", "he", "hi", "hu", "id",
	"it", "ja", "ko", "nb", "nl", "pl", "pt", "ro", "ru", "sk", "sv", "th", "tr", "uk", "vi", "zh",
}

const (
	// minConfidenceGap is the lead, between 0 and 1, that the most likely
	// language needs over the second in lingua's confidence values (which
	// sum to 1); below it Lang stays empty. See TestDetectionAccuracy.
	minConfidenceGap = 0.5
	// langSampleBytes bounds the text a detection looks at: its cost grows with
	// the text, and a few sentences decide the language as well as a book does.
	langSampleBytes = 1024
)

// supportedCodes lists the ISO 639-1 codes that languages accepts, those of
// the languages lingua knows, sorted.
func supportedCodes() []string {
	var codes []string
	for _, l := range lingua.AllLanguages() {
		codes = append(codes, isoCode(l.IsoCode639_1()))
	}
	slices.Sort(codes)
	return codes
}

// parseLanguage returns lingua's ISO 639-1 code value for code, in any case,
// and whether lingua supports that language.
func parseLanguage(code string) (lingua.IsoCode639_1, bool) {
	c := lingua.GetIsoCode639_1FromValue(code)
	return c, c != lingua.UnknownIsoCode639_1
}

// isoCode returns the lower-case ISO 639-1 code that Lang holds.
func isoCode(c lingua.IsoCode639_1) string {
	return strings.ToLower(c.String())
}

// detector detects languages among a fixed set with lingua in low-accuracy
// mode. The lingua detector, and with it the models of the set's languages,
// is built on the first detection, so that building the stage (and
// validating a configuration) loads nothing. lingua keeps loaded models in
// package-wide maps: detectors for overlapping sets share them. A detector is
// safe for concurrent use.
//
// Results do not vary between runs, but for one caveat. lingua resolves most
// of its ties deterministically (equal confidences are ordered by language,
// and equal top confidences give no answer), but not a tie between the
// writing systems most of a text's words are in: topScriptTied has detect
// decline those texts instead. The caveat: lingua adds up each language's
// trigram log-probabilities in map order, so a confidence may differ in its
// last bits between runs, which could only change an answer whose gap lies
// within a rounding error of minConfidenceGap.
type detector struct {
	codes []lingua.IsoCode639_1
	once  sync.Once
	d     lingua.LanguageDetector
}

func newDetector(codes []lingua.IsoCode639_1) *detector {
	return &detector{codes: codes}
}

// lingua returns the lingua detector, building it and loading its models
// (0.2 to 0.3 s for the default set) on the first call.
func (d *detector) lingua() lingua.LanguageDetector {
	d.once.Do(func() {
		d.d = lingua.NewLanguageDetectorBuilder().
			FromIsoCodes639_1(slices.Clone(d.codes)...). // the builder may modify its argument
			WithLowAccuracyMode().
			WithMinimumRelativeDistance(minConfidenceGap).
			WithPreloadedLanguageModels().
			Build()
		makeRoomForModels()
	})
	return d.d
}

// detect returns the ISO 639-1 code of text's language, or "" when unsure.
func (d *detector) detect(text string) string {
	sample := langSample(text)
	if topScriptTied(sample) {
		return ""
	}
	// lingua answers only from the set: a Greek or Han text with neither
	// Greek nor Chinese and Japanese in the set gets no language.
	lang, ok := d.lingua().DetectLanguageOf(sample)
	if !ok {
		return ""
	}
	return isoCode(lang.IsoCode639_1())
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

// scripts are the writing systems lingua tells words apart by, Latin first
// because it is the most frequent. Han, Hiragana and Katakana are three, as
// they are for lingua.
var scripts = [...]*unicode.RangeTable{
	unicode.Latin, unicode.Arabic, unicode.Armenian, unicode.Bengali, unicode.Cyrillic,
	unicode.Devanagari, unicode.Georgian, unicode.Greek, unicode.Gujarati, unicode.Gurmukhi,
	unicode.Han, unicode.Hangul, unicode.Hebrew, unicode.Hiragana, unicode.Katakana,
	unicode.Tamil, unicode.Telugu, unicode.Thai,
}

func scriptOf(r rune) int {
	for i, t := range scripts {
		if unicode.Is(t, r) {
			return i
		}
	}
	return -1
}

// topScriptTied reports whether two writing systems share the highest count of
// words in text ("Hello world Привет мир Γειά"). lingua narrows its
// candidates to the languages of the writing system most words are in, and
// breaks a tie between two by map order, so that such a text could get a
// different language on every run; detect declines it instead. Words are
// split as lingua splits them: a Han, Hangul, Hiragana or Katakana character
// is a word alone; otherwise a word is a run of letters, and counts for a
// script only if all its letters belong to it.
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

// modelBytes is about what the loaded models add to the heap.
const modelBytes = 64 << 20

// makeRoomForModels raises a soft memory limit, if one is set (recap sets one
// unless GOMEMLIMIT is given), by the models' size: they are static data, and
// without the room the garbage collector would keep rescanning them in a vain
// effort to stay under a limit sized without them.
func makeRoomForModels() {
	if limit := debug.SetMemoryLimit(-1); limit < math.MaxInt64-modelBytes {
		debug.SetMemoryLimit(limit + modelBytes)
	}
}
