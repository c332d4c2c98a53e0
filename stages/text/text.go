// Package text is the "text" stage: it turns HTML entries into sanitised plain
// text, cleans every other text of control characters and invalid UTF-8,
// bounds its size, counts words, detects the language and estimates reading
// time.
//
// Options:
//
//	max_text_bytes: 1MiB                 # longer text is cut at a character boundary; attr truncated=true
//	lang_kinds: [feed_item, transcript]  # kinds whose language is detected ([] turns detection off)
//	min_lang_words: 5                    # shorter texts get no language
//	languages: [en, de, fr]              # ISO 639-1 codes to choose from (default: 32 common ones)
//
// Words are counted as countWords describes. A language is set only when the
// detector is confident; otherwise Lang keeps what the source gave, if
// anything. Attrs set: truncated ("true", only when text was cut) and
// reading_time_s (seconds at 230 words a minute, rounded up; feed items and
// transcripts only).
//
// Language detection uses lingua-go, maintained and accurate on short texts,
// in low-accuracy mode (trigram models only). Its models add about 128 MB to
// the binary and take about 64 MB of memory once loaded, which happens on the
// first detection, not when the stage is built; see lang.go.
package text

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pemistahl/lingua-go"

	"github.com/recap-dev/recap/config"
	"github.com/recap-dev/recap/pipeline"
)

func init() { pipeline.RegisterStage("text", New) }

// Reading speed behind reading_time_s, in words per minute.
const wordsPerMinute = 230

type options struct {
	MaxTextBytes config.Size `yaml:"max_text_bytes"`
	LangKinds    []string    `yaml:"lang_kinds"`
	MinLangWords int         `yaml:"min_lang_words"`
	Languages    []string    `yaml:"languages"`
}

// Stage is the text stage. It keeps no state between entries, so it is safe
// for concurrent use.
type Stage struct {
	maxText      int
	langKinds    map[string]bool
	minLangWords int
	lang         *detector
}

// New builds the stage from its options, reporting every invalid one.
func New(env *pipeline.Env) (pipeline.Stage, error) {
	o := options{
		MaxTextBytes: 1 << 20,
		LangKinds:    []string{pipeline.KindFeedItem, pipeline.KindTranscript},
		MinLangWords: 5,
		Languages:    defaultLanguages,
	}
	var errs config.Errors
	if err := env.Options.Decode(&o); err != nil {
		if !errors.As(err, &errs) {
			return nil, err
		}
	}
	if o.MaxTextBytes < 1<<10 || o.MaxTextBytes > 1<<30 {
		errs = append(errs, env.Options.Errorf("max_text_bytes", "must be between 1KiB and 1GiB, got %s", o.MaxTextBytes))
	}
	if o.MinLangWords < 1 {
		errs = append(errs, env.Options.Errorf("min_lang_words", "must be at least 1, got %d", o.MinLangWords))
	}
	s := &Stage{maxText: int(o.MaxTextBytes), langKinds: map[string]bool{}, minLangWords: o.MinLangWords}
	for _, k := range o.LangKinds {
		switch k {
		case pipeline.KindFeedItem, pipeline.KindTranscript, pipeline.KindLog:
			s.langKinds[k] = true
		default:
			errs = append(errs, env.Options.Errorf("lang_kinds", "unknown kind %q (known: %s, %s, %s)",
				k, pipeline.KindFeedItem, pipeline.KindTranscript, pipeline.KindLog))
		}
	}
	codes, err := parseLanguages(o.Languages)
	if err != nil {
		errs = append(errs, env.Options.Errorf("languages", "%v", err))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	s.lang = newDetector(codes)
	return s, nil
}

func parseLanguages(list []string) ([]lingua.IsoCode639_1, error) {
	var langs []lingua.IsoCode639_1
	for _, code := range list {
		l, ok := parseLanguage(code)
		if !ok {
			return nil, fmt.Errorf("%q is not an ISO 639-1 code of a supported language (supported: %s)",
				code, strings.Join(supportedCodes(), ", "))
		}
		if slices.Contains(langs, l) {
			return nil, fmt.Errorf("%q is listed twice", code)
		}
		langs = append(langs, l)
	}
	if len(langs) < 2 {
		return nil, errors.New("list at least two languages to choose from, or leave the key out for the default set")
	}
	return langs, nil
}

// Process enriches every entry of c in place.
func (s *Stage) Process(ctx context.Context, c *pipeline.Chunk) error {
	for i := range c.Entries {
		if i%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		s.enrich(&c.Entries[i])
	}
	return nil
}

func (s *Stage) enrich(e *pipeline.Entry) {
	var truncated bool
	if e.HTML {
		e.Text, truncated = htmlToText(e.Text, s.maxText, false)
		if strings.ContainsAny(e.Title, "<&") {
			e.Title, _ = htmlToText(e.Title, s.maxText, true)
		}
		e.HTML = false
	} else {
		e.Text, truncated = cleanText(e.Text, s.maxText)
	}
	e.Title, _ = cleanText(e.Title, s.maxText)
	if truncated {
		e.SetAttr("truncated", "true")
	}
	words := countWords(e.Text)
	e.Words = int32(words)
	if s.langKinds[e.Kind] && words >= s.minLangWords {
		if lang := s.lang.detect(e.Text); lang != "" {
			e.Lang = lang
		}
	}
	if e.Kind == pipeline.KindFeedItem || e.Kind == pipeline.KindTranscript {
		e.SetAttr("reading_time_s", strconv.Itoa((words*60+wordsPerMinute-1)/wordsPerMinute))
	}
}
