package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	"github.com/recap-dev/recap/pipeline/pipelinetest"
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

// testSource builds a feed source that runs once, with its config file in dir.
func testSource(t *testing.T, dir, yaml string) (*Source, *pipeline.Reporter, *pipelinetest.MemState) {
	t.Helper()
	env := pipelinetest.Env(t, "sources[0]", "recaps", dir, yaml)
	env.Once = true
	src, err := New(env)
	if err != nil {
		t.Fatal(err)
	}
	return src.(*Source), env.Report, env.State.(*pipelinetest.MemState)
}

// Items without guid or link are told apart by title, content and enclosure
// within their feed only: an empty item in one feed is not the same as an
// empty item in another.
func TestContentIDsBelongToTheirFeed(t *testing.T) {
	const doc = `<rss version="2.0"><channel><title>t</title>
<item><enclosure url="/a.mp3" type="audio/mpeg"/></item>
<item><enclosure url="/b.mp3" type="audio/mpeg"/></item>
<item><description>same words</description></item></channel></rss>`
	feed, err := parseFeed([]byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	a := toEntries("recaps", "https://one.example/rss", feed)
	again := toEntries("recaps", "https://one.example/rss", feed)
	b := toEntries("recaps", "https://two.example/rss", feed)
	ids := map[string]bool{}
	for i := range a {
		if a[i].ID != again[i].ID {
			t.Errorf("item %d: id changed on a second parse", i)
		}
		ids[a[i].ID], ids[b[i].ID] = true, true
	}
	if len(ids) != 6 {
		t.Errorf("%d distinct ids for 3 items in each of 2 feeds, want 6", len(ids))
	}
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
	src, _, state := testSource(t, "testdata", "urls: ["+srv.URL+"]\nallow_private: true\n")
	first := &pipelinetest.Collector{}
	src.Run(t.Context(), first)
	if first.Len() != 20 {
		t.Fatalf("first poll: %d entries, want 20", first.Len())
	}
	second := &pipelinetest.Collector{}
	src.Run(t.Context(), second)
	if second.Len() != 0 || conditional != 1 {
		t.Fatalf("second poll: %d entries, %d conditional requests", second.Len(), conditional)
	}
	// The server forgets its ETag: the seen ids still prevent duplicates.
	state.Update(func(_ string, v []byte) []byte {
		return []byte(strings.Replace(string(v), `\"v1\"`, `\"old\"`, 1))
	})
	third := &pipelinetest.Collector{}
	src.Run(t.Context(), third)
	if third.Len() != 0 {
		t.Fatalf("re-poll emitted %d already seen items", third.Len())
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
	src, rep, _ := testSource(t, "testdata", fmt.Sprintf("urls: [%s]\nallow_private: true\ntimeout: 1s\nmax_bytes: 1MiB\n", strings.Join(urls, ", ")))
	got := &pipelinetest.Collector{}
	src.Run(t.Context(), got)
	if got.Len() != 2 {
		t.Errorf("good feed: %d entries, want 2", got.Len())
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
	src, _, _ := testSource(t, dir, "opml: feeds.opml\n")
	got := &pipelinetest.Collector{}
	src.Run(t.Context(), got)
	if got.Len() != 2 || got.Entries()[0].Origin != "file:notes.xml" {
		t.Fatalf("got %d entries from the OPML list", got.Len())
	}
	// An unchanged file is not parsed again.
	again := &pipelinetest.Collector{}
	src.Run(t.Context(), again)
	if again.Len() != 0 {
		t.Errorf("unchanged file re-emitted %d entries", again.Len())
	}
}

// A running daemon follows the feeds added to its OPML file and drops those
// removed from it, without a restart.
func TestOPMLChangesAreFollowed(t *testing.T) {
	bodies := map[string][]byte{}
	bodies["/a"], _ = os.ReadFile("testdata/corpus/feeds/rome-rss_0.92.xml")
	bodies["/b"], _ = os.ReadFile("testdata/corpus/feeds/miniflux-small_atom.xml")
	var mu sync.Mutex
	requests := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests[r.URL.Path]++
		mu.Unlock()
		w.Write(bodies[r.URL.Path])
	}))
	defer srv.Close()
	polls := func(path string) int {
		mu.Lock()
		defer mu.Unlock()
		return requests[path]
	}
	dir := t.TempDir()
	writeOPML := func(paths ...string) {
		var outlines strings.Builder
		for _, p := range paths {
			fmt.Fprintf(&outlines, `<outline type="rss" xmlUrl="%s%s"/>`, srv.URL, p)
		}
		opml := `<?xml version="1.0"?><opml version="2.0"><body>` + outlines.String() + `</body></opml>`
		if err := os.WriteFile(filepath.Join(dir, "feeds.opml"), []byte(opml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeOPML("/a")
	env := pipelinetest.Env(t, "sources[0]", "recaps", dir, "opml: feeds.opml\nallow_private: true\n")
	src, err := New(env)
	if err != nil {
		t.Fatal(err)
	}
	src.(*Source).opts.Interval = config.Duration(100 * time.Millisecond) // below what a config may set
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := &pipelinetest.Collector{}
	stopped := make(chan struct{})
	go func() { src.Run(ctx, got); close(stopped) }()
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitUntil("feed a", func() bool { return got.Len() == 2 })
	// Another size and a later time, so the change is seen at any clock granularity.
	time.Sleep(10 * time.Millisecond)
	writeOPML("/b", "/b")
	waitUntil("feed b, added to the OPML file", func() bool { return got.Len() == 22 })
	waitUntil("feed b polled again", func() bool { return polls("/b") >= 3 })
	dropped := polls("/a")
	waitUntil("more polls of feed b", func() bool { return polls("/b") >= 6 })
	if polls("/a") > dropped+1 { // one poll may have been under way
		t.Errorf("feed a, removed from the OPML file, was polled %d more times", polls("/a")-dropped)
	}
	// A file broken mid-edit is reported and keeps the feeds followed so far.
	if err := os.WriteFile(filepath.Join(dir, "feeds.opml"), []byte("<opml><body><outline"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitUntil("the broken OPML file reported", func() bool { return pipelinetest.Errors(env.Report, "recaps", "opml") > 0 })
	before := polls("/b")
	waitUntil("feed b still polled", func() bool { return polls("/b") >= before+2 })
	cancel()
	<-stopped
}

func TestOptionErrors(t *testing.T) {
	for yaml, want := range map[string]string{
		"interval: 5m\n":                   "sources[0].urls: give at least one feed",
		"urls: [ftp://x/feed]\n":           `unsupported scheme "ftp"`,
		"urls: [http://x]\ninterval: 0s\n": "sources[0].interval: must be at least 1s",
		"urls: [http://x]\nbogus: 1\n":     "recap.yaml:2:1: sources[0].bogus: unknown key",
	} {
		_, err := New(pipelinetest.Env(t, "sources[0]", "recaps", ".", yaml))
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
