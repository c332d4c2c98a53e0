package text

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pemistahl/lingua-go"

	"github.com/recap-dev/recap/pipeline"
)

// BenchmarkTextLogLines runs chunks of 120-byte log lines through the stage,
// the path that has to keep up with about a million lines a second.
func BenchmarkTextLogLines(b *testing.B) {
	s := newStage(b, "")
	lines := make([]string, 1024)
	size := 0
	for i := range lines {
		line := fmt.Sprintf(`ts=2024-05-01T12:%02d:%02dZ level=info msg="request served" path=/api/v1/query?id=%06d status=200 dur=%dms`, i/60%60, i%60, i*7919%1000000, i%97)
		lines[i] = (line + strings.Repeat(" ", 120))[:120]
		size += 120
	}
	c := &pipeline.Chunk{Kind: pipeline.KindLog, Entries: make([]pipeline.Entry, len(lines))}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for i, l := range lines {
			c.Entries[i] = pipeline.Entry{Kind: pipeline.KindLog, Text: l}
		}
		if err := s.Process(context.Background(), c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
}

// BenchmarkHTMLToText converts a 20 KB blog post made of real feed content.
func BenchmarkHTMLToText(b *testing.B) {
	var post strings.Builder
	for _, it := range readJSONFeed(b, "rsparser-DaringFireball.json").Items {
		if post.Len() >= 20<<10 {
			break
		}
		post.WriteString("<article>" + it.ContentHTML + "</article>\n")
	}
	src := post.String()
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		htmlToText(src, 1<<20, false)
	}
}

// BenchmarkLang detects the language of a transcript cue and of a paragraph
// (which langSampleBytes caps) with the default language set.
func BenchmarkLang(b *testing.B) {
	d := newDetector(mustLanguages(b, defaultLanguages))
	d.lingua() // load the models outside the timings
	paragraph := strings.Repeat("The maintainers announced that the next release will focus on performance improvements and better documentation for new contributors. ", 10)
	for _, bc := range []struct{ name, text string }{
		{"cue", "So let me show you a quick demo of the new scheduler"},
		{"paragraph", paragraph},
	} {
		d.detect(bc.text)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d.detect(bc.text)
			}
		})
	}
}

func mustLanguages(t testing.TB, list []string) []lingua.IsoCode639_1 {
	t.Helper()
	langs, err := parseLanguages(list)
	if err != nil {
		t.Fatal(err)
	}
	return langs
}
