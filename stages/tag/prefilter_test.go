package tag

import (
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"

	"github.com/recap-dev/recap/pipeline"
)

func TestRequiredLiterals(t *testing.T) {
	cases := []struct {
		regex string
		want  []string
	}{
		{`(?i)\bauto-?scal`, []string{"auto"}},
		{`^debug$`, []string{"debug"}},
		{`(?i)kubernetes|k8s`, []string{"ubernete", "8"}},
		{`error|warn(ing)?`, []string{"error", "warn"}},
		{`(foo){2,}bar`, []string{"foo"}},
		{`a+b`, []string{"a"}},
		{`x*`, nil},
		{`(?i)ſ`, nil},
		{`(?i)straße`, []string{"tra"}},
		{`[a-z]+\d`, nil},
		{`gateway\s+api`, []string{"gateway"}},
	}
	for _, c := range cases {
		re, err := syntax.Parse(c.regex, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		if got := requiredLiterals(re); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.regex, got, c.want)
		}
	}
}

// A regex rule tags exactly the entries its regex matches: the literal
// prefilter only skips entries the regex could not match.
func TestRegexRulesAgreeWithRegexp(t *testing.T) {
	regexes := []string{`(?i)\bauto-?scal`, `^debug$`, `(?i)kubernetes|k8s`, `error|warn(ing)?`,
		`(foo){2,}bar`, `(?i)straße`, `gateway\s+api`, `(?i)\bskal`}
	var rules strings.Builder
	rules.WriteString("dictionary: none\nrules:\n")
	for i, re := range regexes {
		rules.WriteString("  - {tag: r" + string(rune('a'+i)) + ", regex: '" + re + "'}\n")
	}
	st := mustStage(t, rules.String())
	compiled := make([]*regexp.Regexp, len(regexes))
	for i, re := range regexes {
		compiled[i] = regexp.MustCompile(re)
	}
	pieces := []string{"auto", "AUTO", "Auto", "-", "scal", "SCAL", "ſcal", "\u212Aubernetes", "Kubernetes",
		"K8S", "debug", "error", "warn", "ing", "straße", "STRASSE", "STRAẞE", "foo", "bar", "gateway",
		"api", " ", "\t\n", "x", "skal", "ſkal"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		var b strings.Builder
		for range r.IntN(6) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		got := tagsOf(t, st, pipeline.Entry{Text: s})
		var want []string
		for i, re := range compiled {
			if re.MatchString(s) {
				want = append(want, "r"+string(rune('a'+i)))
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%q: tags %v, want %v", s, got, want)
		}
	}
}
