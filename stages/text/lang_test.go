package text

import (
	"strings"
	"testing"

	"github.com/abadojack/whatlanggo"
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
		{"改善する", false},      // Han and kana are one script: Japanese
		{"", false},
	} {
		if got := topScriptTied(tc.text); got != tc.want {
			t.Errorf("topScriptTied(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

// Every input gives the same answer every time, although whatlanggo scores
// candidate languages in map order.
func TestDetectionIsDeterministic(t *testing.T) {
	d := newDetector(mustLanguages(t, defaultLanguages))
	for _, text := range []string{
		"Hello world Привет мир Γειά σου",
		"er og", // Danish and Norwegian tie: whatlanggo returns either, at confidence 0
		"Thanos stores metrics for ages",
		"Wenn ihr Fragen habt, stellt sie bitte am Ende.", // German, Norwegian and Danish close
		"Наша команда три месяца искала утечку памяти.",   // Russian, taken for Bulgarian
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
		t.Errorf("tie between two languages got %q", got)
	}
}

func TestLanguageCodes(t *testing.T) {
	if len(iso6391) != len(langByCode) {
		t.Errorf("%d languages but %d codes: a code names two languages", len(iso6391), len(langByCode))
	}
	for _, code := range defaultLanguages {
		if l, ok := parseLanguage(code); !ok || iso6391[l] != code {
			t.Errorf("default language %q does not round-trip", code)
		}
	}
	for code, want := range map[string]whatlanggo.Lang{"EN": whatlanggo.Eng, "fa": whatlanggo.Pes, "zh": whatlanggo.Cmn, "nb": whatlanggo.Nob} {
		if l, ok := parseLanguage(code); !ok || l != want {
			t.Errorf("parseLanguage(%q) = %v, %v; want %v", code, l, ok, want)
		}
	}
	for _, code := range []string{"ca", "sk", "no", "xx", "", "eng"} {
		if _, ok := parseLanguage(code); ok {
			t.Errorf("parseLanguage(%q) accepted", code)
		}
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
