package transcript

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-dev/recap/pipeline"
	"github.com/recap-dev/recap/pipeline/pipelinetest"
)

func newTestSource(t *testing.T, dir string, once bool) (*Source, *pipeline.Reporter) {
	t.Helper()
	env := pipelinetest.Env(t, "sources[0]", "talks", ".", "paths: ["+dir+"]\nsettle: 50ms\n")
	env.Once = once
	src, err := New(env)
	if err != nil {
		t.Fatal(err)
	}
	return src.(*Source), env.Report
}

func TestSourceIngestsCorpusOnceAndStably(t *testing.T) {
	src, rep := newTestSource(t, "testdata/corpus", true)
	first := &pipelinetest.Collector{}
	if err := src.Run(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	origins := map[string]int{}
	firsts := first.Entries()
	for _, e := range firsts {
		origins[filepath.Base(e.Origin)]++
		if e.Kind != pipeline.KindTranscript || e.Timing == nil || e.Title == "" || e.Text == "" {
			t.Errorf("incomplete entry from %s: %+v", e.Origin, e)
		}
		if strings.Contains(e.Text, "<v ") || strings.Contains(e.Text, "</") {
			t.Errorf("markup left in %s: %.80q", e.Origin, e.Text)
		}
	}
	if len(origins) < 26 {
		t.Errorf("only %d transcript files gave entries: %v", len(origins), origins)
	}
	if rep.Recent() != nil {
		for _, e := range rep.Recent() {
			t.Logf("reported: %s %s", e.Reason, e.Message)
		}
	}
	second := &pipelinetest.Collector{}
	src.Run(t.Context(), second)
	if second.Len() != 0 {
		t.Errorf("a second run emitted %d entries", second.Len())
	}
	// Without state, a re-read gives the very same ids.
	fresh, _ := newTestSource(t, "testdata/corpus", true)
	third := &pipelinetest.Collector{}
	fresh.Run(t.Context(), third)
	thirds := third.Entries()
	for i := range firsts {
		if firsts[i].ID != thirds[i].ID {
			t.Fatalf("entry %d: id changed between runs", i)
		}
	}
}

const talkVTT = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Ada Field>Welcome to the Prometheus deep dive.\n\n00:00:04.500 --> 00:00:09.000\n<v Lin Notes>We will cover Thanos and <i>remote write</i>.\n"

func TestSidecarFillsMetadata(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "kubecon-eu-2026_prometheus-deep-dive.vtt"), []byte(talkVTT), 0o600)
	os.WriteFile(filepath.Join(dir, "kubecon-eu-2026_prometheus-deep-dive.meta.yaml"), []byte(
		"title: Prometheus Deep Dive\nspeakers: [Grace Host]\nevent: KubeCon EU 2026\ndate: 2026-04-02\nurl: https://example.org/talks/1\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "untitled_talk.srt"), []byte("1\n00:00:00,000 --> 00:00:02,000\nHello.\n"), 0o600)
	src, _ := newTestSource(t, dir, true)
	got := &pipelinetest.Collector{}
	src.Run(t.Context(), got)
	if got.Len() != 3 {
		t.Fatalf("want 3 segments (speaker change splits), got %d", got.Len())
	}
	var talk, untitled []pipeline.Entry
	for _, e := range got.Entries() {
		if strings.Contains(e.Origin, "untitled") {
			untitled = append(untitled, e)
		} else {
			talk = append(talk, e)
		}
	}
	e := talk[0]
	if e.Title != "Prometheus Deep Dive" || e.URL != "https://example.org/talks/1" || e.Attr("event") != "KubeCon EU 2026" ||
		!e.Published.Equal(time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("sidecar not applied: %+v", e)
	}
	if strings.Join(e.Authors, ",") != "Grace Host,Ada Field" || strings.Join(talk[1].Authors, ",") != "Grace Host,Lin Notes" {
		t.Errorf("authors: %v / %v", e.Authors, talk[1].Authors)
	}
	if e.Timing.StartMs != 1000 || e.Timing.EndMs != 4000 || talk[1].Text != "We will cover Thanos and remote write." {
		t.Errorf("timing/text: %+v %q", e.Timing, talk[1].Text)
	}
	if untitled[0].Title != TitleFromFileName("untitled_talk.srt") {
		t.Errorf("title from file name: %q", untitled[0].Title)
	}
}

func TestChangedFileEmitsOnlyNewSegments(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "talk.vtt")
	os.WriteFile(path, []byte(talkVTT), 0o600)
	src, _ := newTestSource(t, dir, true)
	first := &pipelinetest.Collector{}
	src.Run(t.Context(), first)
	os.WriteFile(path, []byte(talkVTT+"\n00:00:10.000 --> 00:00:12.000\n<v Ada Field>Questions?\n"), 0o600)
	second := &pipelinetest.Collector{}
	src.Run(t.Context(), second)
	if first.Len() != 2 || second.Len() != 1 || second.Entries()[0].Text != "Questions?" {
		t.Fatalf("first %d, second %d entries", first.Len(), second.Len())
	}
}

func TestWatchedFolderPicksUpNewFiles(t *testing.T) {
	dir := t.TempDir()
	src, _ := newTestSource(t, dir, false)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := &pipelinetest.Collector{}
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, got) }()
	time.Sleep(200 * time.Millisecond)
	os.MkdirAll(filepath.Join(dir, "day2"), 0o755)
	time.Sleep(100 * time.Millisecond)
	os.WriteFile(filepath.Join(dir, "day2", "talk.vtt"), []byte(talkVTT), 0o600)
	deadline := time.Now().Add(10 * time.Second)
	for got.Len() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got.Len() != 2 {
		t.Fatalf("new transcript in a new subfolder not ingested: %d entries", got.Len())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// READMEs, licences and changelogs beside transcripts are not transcripts,
// though as .md or .txt they would read as plain text.
func TestProjectFilesAreNotTranscripts(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"talk.vtt":            talkVTT,
		"notes.md":            "Ann: Welcome to the keynote.\n",
		"README.md":           "# Talks\n\nThe talks of KubeCon, one file each.\n",
		"Changelog.txt":       "v2: fixed timings\n",
		"LICENSES/CC-BY.txt":  "Attribution 4.0\n",
		"day2/license.md":     "MIT\n",
		"day2/readme-day2.md": "day two\n",
	}
	for name, body := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600)
	}
	origins := func(src *Source) map[string]bool {
		got := &pipelinetest.Collector{}
		if err := src.Run(t.Context(), got); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, e := range got.Entries() {
			rel, _ := filepath.Rel(dir, e.Origin)
			out[filepath.ToSlash(rel)] = true
		}
		return out
	}
	src, _ := newTestSource(t, dir, true)
	if got := origins(src); len(got) != 2 || !got["talk.vtt"] || !got["notes.md"] {
		t.Errorf("read %v, want talk.vtt and notes.md only", got)
	}
	// exclude: [] reads every file with a transcript extension.
	env := pipelinetest.Env(t, "sources[0]", "talks", ".", "paths: ["+dir+"]\nexclude: []\n")
	env.Once = true
	all, err := New(env)
	if err != nil {
		t.Fatal(err)
	}
	if got := origins(all.(*Source)); len(got) != len(files) {
		t.Errorf("with exclude: [] read %d files, want %d: %v", len(got), len(files), got)
	}
	env = pipelinetest.Env(t, "sources[0]", "talks", ".", "paths: [x]\nexclude: ['[README', 'a/b/c']\n")
	if _, err := New(env); err == nil || !strings.Contains(err.Error(), "exclude[0]") || !strings.Contains(err.Error(), "exclude[1]") {
		t.Errorf("bad patterns: %v", err)
	}
}

func TestBrokenFilesAreReportedNotFatal(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "garbage.vtt"), []byte("\x00\x01 not a transcript"), 0o600)
	os.WriteFile(filepath.Join(dir, "bad.meta.yaml"), []byte("speakerz: [x]\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "bad.vtt"), []byte(talkVTT), 0o600)
	os.WriteFile(filepath.Join(dir, "huge.srt"), []byte(strings.Repeat("x", 2<<20)), 0o600)
	env := pipelinetest.Env(t, "sources[0]", "talks", ".", "paths: ["+dir+"]\nmax_bytes: 1MiB\n")
	env.Once = true
	src, err := New(env)
	if err != nil {
		t.Fatal(err)
	}
	got := &pipelinetest.Collector{}
	if err := src.Run(t.Context(), got); err != nil {
		t.Fatal(err)
	}
	if got.Len() != 2 {
		t.Errorf("the good transcript (with a bad sidecar) should still give 2 entries, got %d", got.Len())
	}
	reasons := map[string]bool{}
	for _, e := range env.Report.Recent() {
		reasons[e.Reason] = true
	}
	for _, want := range []string{"parse", "sidecar", "read"} {
		if !reasons[want] {
			t.Errorf("no %s error reported: %+v", want, env.Report.Recent())
		}
	}
}
