package text

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/recap-dev/recap/config"
	"github.com/recap-dev/recap/pipeline"
)

// newStage builds the stage from YAML options, failing the test on error.
func newStage(t testing.TB, yamlOptions string) *Stage {
	t.Helper()
	s, err := build(yamlOptions)
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Stage)
}

func build(yamlOptions string) (pipeline.Stage, error) {
	opts, err := config.NewOptions("recap.yaml", "stages[0]", yamlOptions)
	if err != nil {
		return nil, err
	}
	return New(&pipeline.Env{Name: "text", Type: "text", Options: opts})
}

func process(t testing.TB, s *Stage, entries ...pipeline.Entry) []pipeline.Entry {
	t.Helper()
	c := &pipeline.Chunk{Entries: entries}
	if err := s.Process(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c.Entries
}

const blogPost = `<!DOCTYPE html>
<html><head>
<title>Head title</title>
<style>body { font-family: "StyleLeak"; }</style>
<script>var scriptLeak = 1;</script>
</head>
<body>
<!-- commentLeak -->
<h1>Scaling   metrics</h1>
<p>Thanos stores Prometheus metrics in object storage, and it&#8217;s state-of-the-art.</p>
<div hidden><p>hiddenDivLeak</p></div>
<p>Read the <a href="javascript:alert('linkLeak')">docs</a><span aria-hidden="true">ariaLeak</span>.</p>
<noscript>noscriptLeak</noscript>
<script type="text/javascript">
  document.write("<p>scriptWriteLeak</p>");
</script>
</body></html>`

func TestBlogPost(t *testing.T) {
	e := process(t, newStage(t, ""), pipeline.Entry{Kind: pipeline.KindFeedItem, Title: "Scaling <b>metrics</b> &amp; more", Text: blogPost, HTML: true})[0]
	want := "Scaling metrics\n\nThanos stores Prometheus metrics in object storage, and it’s state-of-the-art.\n\nRead the docs."
	if e.Text != want {
		t.Errorf("text %q\nwant %q", e.Text, want)
	}
	if strings.Contains(strings.ToLower(e.Text), "leak") || strings.Contains(e.Text, "Head title") {
		t.Errorf("dropped content reached the text: %q", e.Text)
	}
	if e.HTML {
		t.Error("HTML still set")
	}
	if e.Title != "Scaling metrics & more" {
		t.Errorf("title %q", e.Title)
	}
	// Scaling metrics (2) + Thanos ... state-of-the-art (10) + Read the docs (3).
	if e.Words != 15 {
		t.Errorf("words %d, want 15", e.Words)
	}
	if e.Lang != "en" {
		t.Errorf("lang %q, want en", e.Lang)
	}
	if got := e.Attr("reading_time_s"); got != "4" { // 15 words at 230/min = 3.9s
		t.Errorf("reading_time_s %q, want 4", got)
	}
	if e.Attr("truncated") != "" {
		t.Error("truncated set on a short text")
	}
}

func TestLanguages(t *testing.T) {
	s := newStage(t, "")
	for _, tc := range []struct{ text, want string }{
		{"Die Entwickler haben angekündigt, dass sich die nächste Version auf Leistungsverbesserungen und eine bessere Dokumentation konzentrieren wird.", "de"},
		{"Les mainteneurs ont annoncé que la prochaine version se concentrera sur l'amélioration des performances et une meilleure documentation.", "fr"},
		{"The maintainers announced that the next release will focus on performance and documentation.", "en"},
		{"Thanos stores metrics", ""}, // three words: below min_lang_words
	} {
		e := process(t, s, pipeline.Entry{Kind: pipeline.KindTranscript, Text: tc.text})[0]
		if e.Lang != tc.want {
			t.Errorf("%q: lang %q, want %q", tc.text, e.Lang, tc.want)
		}
	}
}

func TestLanguageOptions(t *testing.T) {
	german := "Die Entwickler haben angekündigt, dass sich die nächste Version auf Leistungsverbesserungen konzentriert."
	s := newStage(t, "languages: [EN, fr]\nlang_kinds: [log]\nmin_lang_words: 1")
	feed := process(t, s, pipeline.Entry{Kind: pipeline.KindFeedItem, Text: "The maintainers announced the next release today."})[0]
	if feed.Lang != "" {
		t.Errorf("feed item got lang %q though only logs are detected", feed.Lang)
	}
	if l := process(t, s, pipeline.Entry{Kind: pipeline.KindLog, Text: german})[0].Lang; l == "de" {
		t.Error("detected a language outside the configured set")
	}
	// Three words, below the default min_lang_words.
	if l := process(t, s, pipeline.Entry{Kind: pipeline.KindLog, Text: "redémarrage du serveur"})[0].Lang; l != "fr" {
		t.Errorf("three-word log line: lang %q, want fr", l)
	}
	// A text in a script that no configured language is written in gets no
	// language, even where the script has a single language.
	for _, text := range []string{"维护者宣布，下一个版本将专注于性能改进。", "Γειά σου κόσμε, τι κάνεις σήμερα;"} {
		if l := process(t, s, pipeline.Entry{Kind: pipeline.KindLog, Text: text})[0].Lang; l != "" {
			t.Errorf("%q: lang %q outside the configured set", text, l)
		}
	}
	kept := process(t, s, pipeline.Entry{Kind: pipeline.KindLog, Text: "12345 67890", Lang: "de"})[0]
	if kept.Lang != "de" {
		t.Errorf("source language replaced by %q although detection was unsure", kept.Lang)
	}
}

func TestLogEntries(t *testing.T) {
	s := newStage(t, "")
	line := `level=info msg="request served" path=/api/v1/query status=200 duration=12ms`
	e := process(t, s, pipeline.Entry{Kind: pipeline.KindLog, Text: line, Level: "info"})[0]
	if e.Text != line {
		t.Errorf("text changed: %q", e.Text)
	}
	// level info msg request served path api v1 query status 200 duration 12ms
	if e.Words != 13 {
		t.Errorf("words %d, want 13", e.Words)
	}
	if e.Lang != "" || len(e.Attrs) != 0 {
		t.Errorf("log line got lang %q attrs %v", e.Lang, e.Attrs)
	}
	dirty := process(t, s, pipeline.Entry{Kind: pipeline.KindLog, Text: "a\x00b\r\n\tc\x1b[31m \xff\xfed"})[0]
	if want := "ab\n\tc[31m \ufffdd"; dirty.Text != want {
		t.Errorf("got %q, want %q", dirty.Text, want)
	}
	// Markup in a log line is text, not HTML.
	if e := process(t, s, pipeline.Entry{Kind: pipeline.KindLog, Text: "<b>x</b> &amp;"})[0]; e.Text != "<b>x</b> &amp;" {
		t.Errorf("log line parsed as HTML: %q", e.Text)
	}
}

func TestTruncation(t *testing.T) {
	s := newStage(t, "max_text_bytes: 1KiB")
	long := strings.Repeat("é", 600) // 1200 bytes
	for _, e := range process(t, s,
		pipeline.Entry{Kind: pipeline.KindLog, Text: long},
		pipeline.Entry{Kind: pipeline.KindFeedItem, Text: "<p>" + long + "</p>", HTML: true},
	) {
		if len(e.Text) != 1024 || e.Text != long[:1024] {
			t.Errorf("%s: truncated to %d bytes", e.Kind, len(e.Text))
		}
		if e.Attr("truncated") != "true" {
			t.Errorf("%s: truncated attr not set", e.Kind)
		}
	}
	odd := strings.Repeat("a", 1023) + "é"
	if e := process(t, s, pipeline.Entry{Kind: pipeline.KindLog, Text: odd})[0]; e.Text != odd[:1023] {
		t.Errorf("cut inside a character: %d bytes", len(e.Text))
	}
	exact := strings.Repeat("a", 1024)
	if e := process(t, s, pipeline.Entry{Kind: pipeline.KindLog, Text: exact})[0]; e.Text != exact || e.Attr("truncated") != "" {
		t.Error("text of exactly max_text_bytes was cut")
	}
}

func TestOptionErrors(t *testing.T) {
	_, err := build(`max_text_bytes: 12
lang_kinds: [feed_item, blog]
min_lang_words: 0
languages: [en, xx]
colour: red
`)
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v, want config.Errors", err)
	}
	got := err.Error()
	for _, want := range []string{
		"recap.yaml:1:17: stages[0].max_text_bytes: must be between 1KiB and 1GiB, got 12B",
		`recap.yaml:2:13: stages[0].lang_kinds: unknown kind "blog"`,
		"recap.yaml:3:17: stages[0].min_lang_words: must be at least 1, got 0",
		`recap.yaml:4:12: stages[0].languages: "xx" is not an ISO 639-1 code`,
		"recap.yaml:5:1: stages[0].colour: unknown key",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if len(errs) != 5 {
		t.Errorf("got %d errors, want 5:\n%s", len(errs), got)
	}
	for yaml, want := range map[string]string{
		"languages: [en]":          "recap.yaml:1:12: stages[0].languages: list at least two languages",
		"languages: [en, de, EN]":  `recap.yaml:1:12: stages[0].languages: "EN" is listed twice`,
		"min_lang_words: many":     `recap.yaml:1:17: stages[0].min_lang_words: expected an integer, got "many"`,
		"max_text_bytes: 2GiB":     "must be between 1KiB and 1GiB, got 2GiB",
		"lang_kinds: feed_item":    "stages[0].lang_kinds: expected a list",
		"max_text_bytes: lots":     `invalid size "lots"`,
		"languages: []":            "list at least two languages",
		"lang_kinds: [transcript]": "",
	} {
		_, err := build(yaml)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", yaml, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: got %v, want %q", yaml, err, want)
		}
	}
}

// Parallel workers share one stage; every one must see the same results.
func TestConcurrentProcess(t *testing.T) {
	s := newStage(t, "")
	chunk := func() *pipeline.Chunk {
		c := &pipeline.Chunk{}
		for i := range 20 {
			c.Entries = append(c.Entries,
				pipeline.Entry{Kind: pipeline.KindFeedItem, Text: fmt.Sprintf("<p>Post %d about <b>Prometheus</b> and Thanos, written for the community blog.</p>", i), HTML: true},
				pipeline.Entry{Kind: pipeline.KindTranscript, Text: "Danke an alle, die heute an dieser Sitzung teilgenommen haben."},
				pipeline.Entry{Kind: pipeline.KindLog, Text: fmt.Sprintf("ts=%d level=warn msg=slow", i)},
			)
		}
		return c
	}
	want := chunk()
	if err := s.Process(context.Background(), want); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got := chunk()
			if err := s.Process(context.Background(), got); err != nil {
				t.Error(err)
				return
			}
			for i := range got.Entries {
				g, w := got.Entries[i], want.Entries[i]
				if g.Text != w.Text || g.Lang != w.Lang || g.Words != w.Words || fmt.Sprint(g.Attrs) != fmt.Sprint(w.Attrs) {
					t.Errorf("entry %d differs: %+v vs %+v", i, g, w)
				}
			}
		})
	}
	wg.Wait()
}

func TestProcessStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &pipeline.Chunk{Entries: []pipeline.Entry{{Kind: pipeline.KindLog, Text: "x"}}}
	if err := newStage(t, "").Process(ctx, c); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
