package transcript

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeFiles creates files (name → content) in a new temporary directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadSidecar(t *testing.T) {
	want := &Meta{
		Title:    "Keynote: Day 1",
		Speakers: []string{"Ada Lovelace", "Grace Hopper"},
		Event:    "KubeCon EU 2024",
		Date:     time.Date(2024, 3, 20, 0, 0, 0, 0, time.UTC),
		URL:      "https://example.org/talks/keynote",
	}
	for name, content := range map[string]string{
		"talk.meta.yaml": "\uFEFFtitle: 'Keynote: Day 1'\nspeakers: [Ada Lovelace, ' Grace Hopper ']\nevent: KubeCon EU 2024\ndate: 2024-03-20\nurl: https://example.org/talks/keynote\n",
		"talk.meta.yml":  "title: 'Keynote: Day 1'\nspeakers:\n  - Ada Lovelace\n  - Grace Hopper\nevent: KubeCon EU 2024\ndate: \"2024-03-20\"\nurl: https://example.org/talks/keynote\n",
		"talk.meta.json": `{"title": "Keynote: Day 1", "speakers": ["Ada Lovelace", "Grace Hopper", ""], "event": "KubeCon EU 2024", "date": "2024-03-20", "url": "https://example.org/talks/keynote"}`,
	} {
		dir := writeFiles(t, map[string]string{name: content})
		got, err := LoadSidecar(filepath.Join(dir, "talk.vtt"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v", name, got)
		}
	}
}

func TestLoadSidecarRFC3339AndEncoding(t *testing.T) {
	dir := writeFiles(t, map[string]string{"t.meta.yaml": "date: 2024-03-20T14:30:00+01:00\nencoding: gb2312\n"})
	got, err := LoadSidecar(filepath.Join(dir, "t.srt"))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Date.Equal(time.Date(2024, 3, 20, 13, 30, 0, 0, time.UTC)) || got.Encoding != "gb2312" {
		t.Errorf("got %+v", got)
	}
}

func TestLoadSidecarMissing(t *testing.T) {
	dir := writeFiles(t, map[string]string{"other.meta.yaml": "title: x\n", "talk.vtt": "WEBVTT\n"})
	got, err := LoadSidecar(filepath.Join(dir, "talk.vtt"))
	if got != nil || err != nil {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestLoadSidecarEmpty(t *testing.T) {
	dir := writeFiles(t, map[string]string{"talk.meta.yaml": "# nothing yet\n"})
	got, err := LoadSidecar(filepath.Join(dir, "talk.vtt"))
	if err != nil || !reflect.DeepEqual(got, &Meta{}) {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestLoadSidecarErrors(t *testing.T) {
	for _, tc := range []struct {
		files   map[string]string
		mention []string // what the error must name
	}{
		{map[string]string{"talk.meta.yaml": "title: x\nspeaker: Ada\n"}, []string{"talk.meta.yaml", "line 2", `"speaker"`}},
		{map[string]string{"talk.meta.json": `{"title": "x", "tags": ["a"]}`}, []string{"talk.meta.json", `"tags"`}},
		{map[string]string{"talk.meta.yaml": "date: 20 March 2024\n"}, []string{"talk.meta.yaml", "date", "20 March 2024"}},
		{map[string]string{"talk.meta.yaml": "date: 2024-02-30\n"}, []string{"talk.meta.yaml", "date"}},
		{map[string]string{"talk.meta.json": `{"date": "2024-03-20T25:00:00Z"}`}, []string{"talk.meta.json", "date"}},
		{map[string]string{"talk.meta.yaml": "url: javascript:alert(1)\n"}, []string{"talk.meta.yaml", "url"}},
		{map[string]string{"talk.meta.yaml": "encoding: klingon\n"}, []string{"talk.meta.yaml", "encoding", "klingon"}},
		{map[string]string{"talk.meta.yaml": "speakers: {a: b}\n"}, []string{"talk.meta.yaml"}},
		{map[string]string{"talk.meta.yaml": "- a list\n"}, []string{"talk.meta.yaml", "mapping"}},
		{map[string]string{"talk.meta.yaml": "title: a\ntitle: b\n"}, []string{"talk.meta.yaml", "title"}},
		{map[string]string{"talk.meta.yaml": "title: [unclosed\n"}, []string{"talk.meta.yaml"}},
		{map[string]string{"talk.meta.json": `{"title": 1}`}, []string{"talk.meta.json"}},
		{map[string]string{"talk.meta.yaml": "title: x\n", "talk.meta.json": "{}"}, []string{"talk.meta.yaml", "talk.meta.json", "keep one"}},
		{map[string]string{"talk.meta.yaml": "title: " + strings.Repeat("x", MaxSidecarBytes) + "\n"}, []string{"talk.meta.yaml", "64 KiB"}},
	} {
		dir := writeFiles(t, tc.files)
		_, err := LoadSidecar(filepath.Join(dir, "talk.vtt"))
		if err == nil {
			t.Errorf("%v: no error", tc.files)
			continue
		}
		for _, m := range tc.mention {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("error %q does not mention %q", err, m)
			}
		}
	}
}

func TestLoadSidecarUnreadable(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "talk.meta.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSidecar(filepath.Join(dir, "talk.vtt")); err == nil {
		t.Fatal("a directory as sidecar should be an error")
	}
	if m, err := LoadSidecar(filepath.Join(dir, "missing", "talk.vtt")); m != nil || err != nil {
		t.Fatalf("a missing directory has no sidecar: %v, %v", m, err)
	}
}

func TestIsSidecar(t *testing.T) {
	for name, want := range map[string]bool{
		"talk.meta.yaml": true, "dir/talk.META.JSON": true, "talk.meta.yml": true,
		"talk.vtt": false, "meta.yaml": false, "talk.yaml": false,
	} {
		if got := IsSidecar(name); got != want {
			t.Errorf("IsSidecar(%q) = %v", name, got)
		}
	}
}

func TestTitleFromFileName(t *testing.T) {
	for name, want := range map[string]string{
		"kubecon-eu-2024_keynote-day1.vtt":        "Kubecon Eu 2024 Keynote Day1",
		"/talks/srtparser2-Welcome-648062.en.srt": "Srtparser2 Welcome 648062",
		"go_time.100.md":                          "Go Time 100",
		"über  talk--final.pt-BR.srt":             "Über Talk Final",
		"noext":                                   "Noext",
		"":                                        "",
	} {
		if got := TitleFromFileName(name); got != want {
			t.Errorf("TitleFromFileName(%q) = %q, want %q", name, got, want)
		}
	}
}
