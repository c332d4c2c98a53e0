package transcript

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recap-dev/recap/config"
	"github.com/recap-dev/recap/pipeline"
)

type memState struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memState) Get(_ context.Context, k string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[k], nil
}

func (s *memState) Put(_ context.Context, k string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = v
	return nil
}

func (s *memState) Delete(_ context.Context, k string) error { return nil }

type collector struct {
	mu      sync.Mutex
	entries []*pipeline.Entry
}

func (c *collector) Emit(_ context.Context, e *pipeline.Entry, mark func()) error {
	c.mu.Lock()
	c.entries = append(c.entries, e)
	c.mu.Unlock()
	if mark != nil {
		mark()
	}
	return nil
}

func (c *collector) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func newTestSource(t *testing.T, dir string, state *memState, once bool) (*Source, *pipeline.Reporter) {
	t.Helper()
	opts, err := config.NewOptions("recap.yaml", "sources[0]", "paths: ["+dir+"]\nsettle: 50ms\n")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rep := pipeline.NewReporter(log)
	src, err := New(&pipeline.Env{Name: "talks", Options: opts, Config: &config.Config{File: "recap.yaml"}, Once: once, Log: log, Report: rep, State: state})
	if err != nil {
		t.Fatal(err)
	}
	return src.(*Source), rep
}

func TestSourceIngestsCorpusOnceAndStably(t *testing.T) {
	state := &memState{m: map[string][]byte{}}
	src, rep := newTestSource(t, "testdata/corpus", state, true)
	first := &collector{}
	if err := src.Run(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	origins := map[string]int{}
	for _, e := range first.entries {
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
	second := &collector{}
	src.Run(t.Context(), second)
	if second.len() != 0 {
		t.Errorf("a second run emitted %d entries", second.len())
	}
	// Without state, a re-read gives the very same ids.
	fresh, _ := newTestSource(t, "testdata/corpus", &memState{m: map[string][]byte{}}, true)
	third := &collector{}
	fresh.Run(t.Context(), third)
	for i := range first.entries {
		if first.entries[i].ID != third.entries[i].ID {
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
	src, _ := newTestSource(t, dir, &memState{m: map[string][]byte{}}, true)
	got := &collector{}
	src.Run(t.Context(), got)
	if got.len() != 3 {
		t.Fatalf("want 3 segments (speaker change splits), got %d", got.len())
	}
	var talk, untitled []*pipeline.Entry
	for _, e := range got.entries {
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
	state := &memState{m: map[string][]byte{}}
	src, _ := newTestSource(t, dir, state, true)
	first := &collector{}
	src.Run(t.Context(), first)
	os.WriteFile(path, []byte(talkVTT+"\n00:00:10.000 --> 00:00:12.000\n<v Ada Field>Questions?\n"), 0o600)
	second := &collector{}
	src.Run(t.Context(), second)
	if first.len() != 2 || second.len() != 1 || second.entries[0].Text != "Questions?" {
		t.Fatalf("first %d, second %d entries", first.len(), second.len())
	}
}

func TestWatchedFolderPicksUpNewFiles(t *testing.T) {
	dir := t.TempDir()
	src, _ := newTestSource(t, dir, &memState{m: map[string][]byte{}}, false)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := &collector{}
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, got) }()
	time.Sleep(200 * time.Millisecond)
	os.MkdirAll(filepath.Join(dir, "day2"), 0o755)
	time.Sleep(100 * time.Millisecond)
	os.WriteFile(filepath.Join(dir, "day2", "talk.vtt"), []byte(talkVTT), 0o600)
	deadline := time.Now().Add(10 * time.Second)
	for got.len() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got.len() != 2 {
		t.Fatalf("new transcript in a new subfolder not ingested: %d entries", got.len())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestBrokenFilesAreReportedNotFatal(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "garbage.vtt"), []byte("\x00\x01 not a transcript"), 0o600)
	os.WriteFile(filepath.Join(dir, "bad.meta.yaml"), []byte("speakerz: [x]\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "bad.vtt"), []byte(talkVTT), 0o600)
	os.WriteFile(filepath.Join(dir, "huge.srt"), []byte(strings.Repeat("x", 2<<20)), 0o600)
	opts, _ := config.NewOptions("recap.yaml", "sources[0]", "paths: ["+dir+"]\nmax_bytes: 1MiB\n")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rep := pipeline.NewReporter(log)
	src, err := New(&pipeline.Env{Name: "talks", Options: opts, Config: &config.Config{File: "recap.yaml"}, Once: true, Log: log, Report: rep,
		State: &memState{m: map[string][]byte{}}})
	if err != nil {
		t.Fatal(err)
	}
	got := &collector{}
	if err := src.Run(t.Context(), got); err != nil {
		t.Fatal(err)
	}
	if got.len() != 2 {
		t.Errorf("the good transcript (with a bad sidecar) should still give 2 entries, got %d", got.len())
	}
	reasons := map[string]bool{}
	for _, e := range rep.Recent() {
		reasons[e.Reason] = true
	}
	for _, want := range []string{"parse", "sidecar", "read"} {
		if !reasons[want] {
			t.Errorf("no %s error reported: %+v", want, rep.Recent())
		}
	}
}
