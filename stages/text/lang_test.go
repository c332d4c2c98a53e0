package text

import (
	"slices"
	"strings"
	"testing"

	"github.com/pemistahl/lingua-go"

	"github.com/recap-dev/recap/pipeline"
)

func TestTopScriptTied(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"Hello world", false},
		{"Hello world Привет", false},
		{"Hello world Привет мир Γειά", true},
		{"Hello Привет", true},
		{"Hello, Привет! 42", true},
		{"维护者 hello", false}, // three Han words against one Latin
		{"漢字 ab cd", true},   // two Han words, two Latin
		{"ab漢字 cd", false},   // a Latin run swallows Han: one mixed word, one Latin
		{"パフォーマンス", false},   // kana alone, then a mixed run after the Common "ー"
		{"改善する", true},       // Han and Hiragana are two scripts, as for lingua: two words each
		{"", false},
	} {
		if got := topScriptTied(tc.text); got != tc.want {
			t.Errorf("topScriptTied(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

// Every input gives the same answer every time, although lingua iterates over
// maps in several places (see detector).
func TestDetectionIsDeterministic(t *testing.T) {
	d := newDetector(mustLanguages(t, defaultLanguages))
	for _, text := range []string{
		"Hello world Привет мир Γειά σου",
		"er og", // Danish or Norwegian, but too short for trigrams: every confidence is 0
		"Thanos stores metrics for ages",
		"Wenn ihr Fragen habt, stellt sie bitte am Ende.", // German, Norwegian and Danish close
		"Наша команда три месяца искала утечку памяти.",   // Russian, Ukrainian and Bulgarian share the script
		"Esta charla trata sobre escalar Prometheus",
		"Lo scheduler ora gestisce i guasti dei nodi",
		"Слайды можно найти на моём сайте",
		"维护者宣布，下一个版本将专注于性能改进。",
		"メンテナーは、次のリリースではパフォーマンスの改善に重点を置く",
		strings.Repeat("Die Entwickler haben angekündigt, dass sich die nächste Version verbessert. ", 30),
	} {
		first := d.detect(text)
		for range 30 {
			if got := d.detect(text); got != first {
				t.Fatalf("%.40q: %q then %q", text, first, got)
			}
		}
	}
	if got := d.detect("Hello world Привет мир Γειά σου"); got != "" {
		t.Errorf("text split between scripts got %q", got)
	}
	if got := d.detect("er og"); got != "" {
		t.Errorf("text without trigrams got %q", got)
	}
	if got := d.detect("改善する"); got != "" {
		t.Errorf("text split between Han and Hiragana got %q", got)
	}
}

// Building the stage, and running it on entries whose language is not
// detected, loads no language model.
func TestModelsLoadOnFirstDetection(t *testing.T) {
	s := newStage(t, "")
	process(t, s, pipeline.Entry{Kind: pipeline.KindLog, Text: "Die Entwickler haben angekündigt, dass die nächste Version schneller wird."})
	if s.lang.d != nil {
		t.Fatal("lingua detector built before the first detection")
	}
	process(t, s, pipeline.Entry{Kind: pipeline.KindTranscript, Text: "Die Entwickler haben angekündigt, dass die nächste Version schneller wird."})
	if s.lang.d == nil {
		t.Error("no lingua detector after a detection")
	}
}

func TestLanguageCodes(t *testing.T) {
	for _, code := range defaultLanguages {
		if c, ok := parseLanguage(code); !ok || isoCode(c) != code {
			t.Errorf("default language %q does not round-trip", code)
		}
	}
	for code, want := range map[string]lingua.IsoCode639_1{"EN": lingua.EN, "fa": lingua.FA, "zh": lingua.ZH, "nb": lingua.NB, "ca": lingua.CA, "sk": lingua.SK} {
		if c, ok := parseLanguage(code); !ok || c != want {
			t.Errorf("parseLanguage(%q) = %v, %v; want %v", code, c, ok, want)
		}
	}
	for _, code := range []string{"no", "xx", "", "eng", "unknown"} {
		if _, ok := parseLanguage(code); ok {
			t.Errorf("parseLanguage(%q) accepted", code)
		}
	}
	if codes := supportedCodes(); len(codes) != len(lingua.AllLanguages()) || !slices.IsSorted(codes) {
		t.Errorf("supported codes %v", codes)
	}
}

func TestLangSample(t *testing.T) {
	short := "a few words"
	if got := langSample(short); got != short {
		t.Errorf("short text changed: %q", got)
	}
	long := strings.Repeat("wörd ", 400)
	got := langSample(long)
	if len(got) > langSampleBytes || !strings.HasSuffix(got, "wörd") {
		t.Errorf("sample of %d bytes ends %q", len(got), got[len(got)-8:])
	}
}
