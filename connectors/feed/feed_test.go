package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recap-dev/recap/config"
	"github.com/recap-dev/recap/pipeline"
)

// Every corpus feed parses; every hostile or broken one fails fast or yields
// harmless text — within time and memory, without fetching anything.
func TestCorpusFeeds(t *testing.T) {
	files, _ := filepath.Glob("testdata/corpus/feeds/*")
	if len(files) != 77 {
		t.Fatalf("expected the 77 corpus feeds, found %d", len(files))
	}
	for _, f := range files {
		body, _ := os.ReadFile(f)
		if _, err := parseFeed(body, ""); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
}

func TestBadFeeds(t *testing.T) {
	mustFail := map[string]bool{
		"feedparser-aaa_illformed.xml": true, "feedparser-rss_empty_document.xml": true,
		"rsparser-allthis-partial.json": true, "rssparser-unrecognized.rss": true,
	}
	files, _ := filepath.Glob("testdata/corpus/bad-feeds/*")
	for _, f := range files {
		body, _ := os.ReadFile(f)
		start := time.Now()
		feed, err := parseFeed(body, "")
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s took %s", filepath.Base(f), d)
		}
		name := filepath.Base(f)
		if mustFail[name] && err == nil {
			t.Errorf("%s: accepted a broken document", name)
		}
		if err == nil {
			for _, e := range toEntries("s", "http://x/feed", feed) {
				if strings.Contains(e.Title+e.Text, "root:x:0:0") {
					t.Errorf("%s: external entity was resolved", name)
				}
				if len(e.Title)+len(e.Text) > 1<<20 {
					t.Errorf("%s: entity expansion produced %d bytes", name, len(e.Title)+len(e.Text))
				}
			}
		}
	}
}

func TestCharsetRepairs(t *testing.T) {
	cases := map[string]string{
		"feeds/feedparser-euc-kr.xml":              "\ub144",
		"feeds/rssparser-uolNoticias.rss":          "ã",
		"feeds/miniflux-encoding_WINDOWS-1251.xml": "а",
		"feeds/miniflux-koi8r.xml":                 "Привет",
		"feeds/rsparser-kc0011.rss":                "的",
	}
	for f, want := range cases {
		body, _ := os.ReadFile("testdata/corpus/" + f)
		feed, err := parseFeed(body, "")
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		all := feed.Title
		for _, it := range feed.Items {
			all += it.Title + it.Description
		}
		if !strings.Contains(all, want) || strings.Contains(all, "\uFFFD") {
			t.Errorf("%s: want %q decoded, got %.200q", f, want, all)
		}
	}
}

func TestStableIDs(t *testing.T) {
	body, _ := os.ReadFile("testdata/corpus/feeds/rsparser-scriptingNews.rss")
	feed, err := parseFeed(body, "")
	if err != nil {
		t.Fatal(err)
	}
	a := toEntries("recaps", "https://scripting.com/rss.xml", feed)
	b := toEntries("recaps", "https://mirror.example/rss.xml", feed)
	other := toEntries("elsewhere", "https://scripting.com/rss.xml", feed)
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Errorf("item %d: id depends on the feed URL", i)
		}
		if a[i].ID == other[i].ID {
			t.Errorf("item %d: ids of two sources collide", i)
		}
	}
	// guid, else link, else title+content
	if got, want := a[0].ID, pipeline.StableID("recaps", "guid", feed.Items[0].GUID); got != want {
		t.Errorf("guid id %s, want %s", got, want)
	}
}

// testSource builds a feed source over an in-memory state store.
func testSource(t *testing.T, yaml string, once bool) (*Source, *pipeline.Reporter, *memState) {
	t.Helper()
	opts, err := config.NewOptions("recap.yaml", "sources[0]", yaml)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rep := pipeline.NewReporter(log)
	state := &memState{m: map[string][]byte{}}
	src, err := New(&pipeline.Env{Name: "recaps", Options: opts, Config: &config.Config{File: "testdata/recap.yaml"},
		Once: once, Log: log, Report: rep, State: state})
	if err != nil {
		t.Fatal(err)
	}
	return src.(*Source), rep, state
}

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

// collect is an Emitter that keeps entries and runs marks at once.
type collect struct {
	mu      sync.Mutex
	entries []*pipeline.Entry
}

func (c *collect) Emit(_ context.Context, e *pipeline.Entry, mark func()) error {
	c.mu.Lock()
	c.entries = append(c.entries, e)
	c.mu.Unlock()
	if mark != nil {
		mark()
	}
	return nil
}

func TestPollingIsConditionalAndSkipsSeenItems(t *testing.T) {
	body, _ := os.ReadFile("testdata/corpus/feeds/miniflux-small_atom.xml")
	var conditional int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			conditional++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Write(body)
	}))
	defer srv.Close()
	src, _, state := testSource(t, "urls: ["+srv.URL+"]\nallow_private: true\n", true)
	first := &collect{}
	src.Run(t.Context(), first)
	if len(first.entries) != 20 {
		t.Fatalf("first poll: %d entries, want 20", len(first.entries))
	}
	second := &collect{}
	src.Run(t.Context(), second)
	if len(second.entries) != 0 || conditional != 1 {
		t.Fatalf("second poll: %d entries, %d conditional requests", len(second.entries), conditional)
	}
	// The server forgets its ETag: the seen ids still prevent duplicates.
	state.mu.Lock()
	for k, v := range state.m {
		state.m[k] = []byte(strings.Replace(string(v), `\"v1\"`, `\"old\"`, 1))
	}
	state.mu.Unlock()
	third := &collect{}
	src.Run(t.Context(), third)
	if len(third.entries) != 0 {
		t.Fatalf("re-poll emitted %d already seen items", len(third.entries))
	}
}

func TestFailuresAreReportedAndOthersGoOn(t *testing.T) {
	good, _ := os.ReadFile("testdata/corpus/feeds/rome-rss_0.92.xml")
	huge := strings.Repeat("<item><title>x</title></item>", 100_000)
	mux := http.NewServeMux()
	mux.HandleFunc("/good", func(w http.ResponseWriter, _ *http.Request) { w.Write(good) })
	mux.HandleFunc("/huge", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "<rss><channel>"+huge) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "<html><body>moved</body></html>") })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	urls := []string{"/good", "/missing", "/huge", "/slow", "/html"}
	for i := range urls {
		urls[i] = srv.URL + urls[i]
	}
	src, rep, _ := testSource(t, fmt.Sprintf("urls: [%s]\nallow_private: true\ntimeout: 1s\nmax_bytes: 1MiB\n", strings.Join(urls, ", ")), true)
	got := &collect{}
	src.Run(t.Context(), got)
	if len(got.entries) != 2 {
		t.Errorf("good feed: %d entries, want 2", len(got.entries))
	}
	reasons := map[string]bool{}
	for _, e := range rep.Recent() {
		reasons[e.Reason] = true
	}
	for _, want := range []string{"http_status", "too_large", "fetch", "parse"} {
		if !reasons[want] {
			t.Errorf("no %q error reported; got %v", want, rep.Recent())
		}
	}
}

func TestPrivateAddressesAreBlockedByDefault(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { t.Error("request reached a loopback server") }))
	defer srv.Close()
	f := newFetcher(time.Second, 1<<20, false, "test", func(p string) string { return p })
	_, err := f.fetch(t.Context(), srv.URL, validators{})
	if !errors.Is(err, errBlockedAddress) {
		t.Fatalf("want blocked address error, got %v", err)
	}
	// A redirect to an internal address is checked too.
	redirect := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/latest/meta-data/", http.StatusFound))
	defer redirect.Close()
	if _, err := newFetcher(time.Second, 1<<20, true, "test", nil).fetch(t.Context(), redirect.URL, validators{}); err == nil {
		t.Log("redirect target unreachable here as expected")
	}
}

func TestFileURLsAndOPML(t *testing.T) {
	dir := t.TempDir()
	feedPath := filepath.Join(dir, "notes.xml")
	body, _ := os.ReadFile("testdata/corpus/feeds/rome-rss_0.92.xml")
	os.WriteFile(feedPath, body, 0o600)
	opml := `<?xml version="1.0"?><opml version="2.0"><body><outline text="group"><outline type="rss" xmlUrl="file:notes.xml"/></outline></body></opml>`
	os.WriteFile(filepath.Join(dir, "feeds.opml"), []byte(opml), 0o600)
	opts, _ := config.NewOptions("recap.yaml", "sources[0]", "opml: feeds.opml\n")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	state := &memState{m: map[string][]byte{}}
	src, err := New(&pipeline.Env{Name: "recaps", Options: opts, Config: &config.Config{File: filepath.Join(dir, "recap.yaml")},
		Once: true, Log: log, Report: pipeline.NewReporter(log), State: state})
	if err != nil {
		t.Fatal(err)
	}
	got := &collect{}
	src.Run(t.Context(), got)
	if len(got.entries) != 2 || got.entries[0].Origin != "file:notes.xml" {
		t.Fatalf("got %d entries from the OPML list", len(got.entries))
	}
	// An unchanged file is not parsed again.
	again := &collect{}
	src.Run(t.Context(), again)
	if len(again.entries) != 0 {
		t.Errorf("unchanged file re-emitted %d entries", len(again.entries))
	}
}

func TestOptionErrors(t *testing.T) {
	for yaml, want := range map[string]string{
		"interval: 5m\n":                   "sources[0].urls: give at least one feed",
		"urls: [ftp://x/feed]\n":           `unsupported scheme "ftp"`,
		"urls: [http://x]\ninterval: 0s\n": "sources[0].interval: must be at least 1s",
		"urls: [http://x]\nbogus: 1\n":     "recap.yaml:2:1: sources[0].bogus: unknown key",
	} {
		opts, _ := config.NewOptions("recap.yaml", "sources[0]", yaml)
		_, err := New(&pipeline.Env{Name: "recaps", Options: opts, Config: &config.Config{File: "recap.yaml"}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want %q, got %v", yaml, want, err)
		}
	}
}

func FuzzParseFeed(f *testing.F) {
	for _, dir := range []string{"feeds", "bad-feeds"} {
		files, _ := filepath.Glob("testdata/corpus/" + dir + "/*")
		for _, file := range files {
			if body, err := os.ReadFile(file); err == nil && len(body) < 64<<10 {
				f.Add(body)
			}
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		feed, err := parseFeed(body, "")
		if err != nil {
			return
		}
		for _, e := range toEntries("s", "https://example.org/feed", feed) {
			if e.ID == "" || e.Kind != pipeline.KindFeedItem {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}
