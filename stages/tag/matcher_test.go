package tag

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// naiveFind is the reference for matcher.scan: it collapses the text's
// whitespace runs and tries every keyword at every position.
func naiveFind(keywords []keyword, s string) []int32 {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) {
			if i == 0 || !isSpace(s[i-1]) {
				b.WriteByte(' ')
			}
			continue
		}
		b.WriteByte(s[i])
	}
	c := b.String()
	var found []int32
	for id, k := range keywords {
		for i := 0; i+len(k.text) <= len(c); i++ {
			m := c[i : i+len(k.text)]
			if k.exact && m != k.text || !k.exact && asciiLower(m) != k.text {
				continue
			}
			if before, _ := utf8.DecodeLastRuneInString(c[:i]); !k.substring && i > 0 && isWordRune(before) {
				continue
			}
			if after, _ := utf8.DecodeRuneInString(c[i+len(k.text):]); !k.substring && i+len(k.text) < len(c) && isWordRune(after) {
				continue
			}
			found = append(found, int32(id))
			break
		}
	}
	return found
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = fold(c)
	}
	return string(b)
}

func scanAll(m *matcher, s string) []int32 {
	h := hits{fields: make([]field, len(m.keywords))}
	m.scan(s, fieldText, &h)
	slices.Sort(h.found)
	return h.found
}

func TestMatcherAgreesWithNaiveSearch(t *testing.T) {
	keywords := []keyword{
		{text: "a"}, {text: "ab"}, {text: "b a"}, {text: "gateway api"}, {text: "api"},
		{text: "kubernetes gateway api"}, {text: "kubernetes"}, {text: "M3", exact: true},
		{text: "m3db"}, {text: "fluent"}, {text: "fluent bit"}, {text: "bit"}, {text: "é"},
		{text: "x-y"}, {text: "c++"}, {text: "Helm", exact: true}, {text: "helm chart"},
		{text: "a a a"}, {text: "ub", substring: true}, {text: "a b", substring: true},
		{text: "bit", substring: true},
	}
	m, err := newMatcher(keywords)
	if err != nil {
		t.Fatal(err)
	}
	pieces := []string{"a", "b", "A", "B", "ab", " ", "  ", "\t", "\n ", "-", ".", "é", "É", "3",
		"gateway", "Gateway", "api", "API", "kubernetes", "Kubernetes", "m3", "M3", "db", "u8",
		"fluent", "Fluent", "bit", "kUBernetes", "BIT", "x", "y", "c", "++", "helm", "Helm", "chart"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := scanAll(m, s), naiveFind(keywords, s); !slices.Equal(got, want) {
			t.Fatalf("%q: found %v, want %v", s, names(keywords, got), names(keywords, want))
		}
	}
}

func names(keywords []keyword, ids []int32) []string {
	var out []string
	for _, id := range ids {
		out = append(out, keywords[id].text)
	}
	return out
}

func TestMatcherFields(t *testing.T) {
	m, err := newMatcher([]keyword{{text: "thanos"}, {text: "m3"}})
	if err != nil {
		t.Fatal(err)
	}
	h := hits{fields: make([]field, 2)}
	m.scan("Thanos and M3", fieldTitle, &h)
	m.scan("thanos", fieldURL, &h)
	if h.fields[0] != fieldTitle|fieldURL || h.fields[1] != fieldTitle || !slices.Equal(h.found, []int32{0, 1}) {
		t.Errorf("fields %v found %v", h.fields, h.found)
	}
	h.reset()
	if h.fields[0] != 0 || h.fields[1] != 0 || len(h.found) != 0 {
		t.Errorf("after reset: fields %v found %v", h.fields, h.found)
	}
}
