package e2e

import (
	"bytes"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

// corpusDir holds the real feeds (copied from the shared corpus with their licences).
var corpusDir = filepath.Join("..", "connectors", "feed", "testdata", "corpus")

// ownFeed is a recap of our own with known dates, authors and HTML to strip.
const ownFeed = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Field notes</title>
  <id>urn:e2e:notes</id>
  <updated>2026-04-02T10:00:00Z</updated>
  <entry>
    <title>Observability day</title>
    <id>urn:e2e:1</id>
    <link href="https://notes.example.org/1"/>
    <published>2026-04-01T17:30:00Z</published>
    <updated>2026-04-01T18:00:00Z</updated>
    <author><name>Ada Field</name></author>
    <author><name>Lin Notes</name></author>
    <content type="html"><![CDATA[<p>Prometheus and <b>Thanos</b> on stage.</p><script>steal()</script><style>p{}</style><p>More soon &amp; later.</p>]]></content>
  </entry>
  <entry>
    <title>The storage and telemetry hallway track</title>
    <id>urn:e2e:3</id>
    <link href="https://notes.example.org/3"/>
    <published>2026-04-03T12:00:00Z</published>
    <content type="html"><![CDATA[<p>We compared Prometheus with Thanos, Cortex and M3 for long term metrics.</p>
<style>.ad{display:block}</style><p>Fluent Bit shipped the logs, the Gateway API routed traffic, and cert-manager renewed certificates.</p>
<script>document.write("Kafka tracking pixel")</script><p>Rook ran Ceph underneath everything.</p>]]></content>
  </entry>
  <entry>
    <title>Autoscaling day</title>
    <id>urn:e2e:2</id>
    <link href="https://notes.example.org/2"/>
    <published>2026-04-02T09:15:00+02:00</published>
    <author><name>Lin Notes</name></author>
    <content type="html">&lt;p&gt;Node auto-scaling without surprises.&lt;/p&gt;</content>
  </entry>
</feed>`

// ownRSS has RFC 822 dates in two zones.
const ownRSS = `<?xml version="1.0"?>
<rss version="2.0"><channel><title>RSS notes</title><link>https://rss.example.org/</link>
<item><title>Gateway API talk</title><link>https://rss.example.org/a</link><guid>rss-a</guid>
<pubDate>Tue, 07 Apr 2026 14:05:00 GMT</pubDate><description>&lt;p&gt;Gateway API and Envoy.&lt;/p&gt;</description></item>
<item><title>Relative link</title><link>/b</link><pubDate>Wed, 08 Apr 2026 09:00:00 +0200</pubDate><description>Plain text.</description></item>
</channel></rss>`

// feedServer serves every corpus feed, our own feeds, a 404 and a malformed feed.
func feedServer(t *testing.T) (*httptest.Server, []string) {
	t.Helper()
	mux := http.NewServeMux()
	var paths []string
	files, err := filepath.Glob(filepath.Join(corpusDir, "feeds", "*"))
	if err != nil || len(files) < 50 {
		t.Fatalf("corpus feeds missing: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p := "/feeds/" + filepath.Base(f)
		paths = append(paths, p)
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", fmt.Sprintf(`"%d"`, len(body)))
			if r.Header.Get("If-None-Match") == fmt.Sprintf(`"%d"`, len(body)) {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Write(body)
		})
	}
	for p, body := range map[string]string{"/own.atom": ownFeed, "/own.rss": ownRSS} {
		paths = append(paths, p)
		mux.HandleFunc(p, func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(body)) })
	}
	malformed, err := os.ReadFile(filepath.Join(corpusDir, "bad-feeds", "feedparser-aaa_illformed.xml"))
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("/malformed.xml", func(w http.ResponseWriter, _ *http.Request) { w.Write(malformed) })
	paths = append(paths, "/missing.xml", "/malformed.xml")
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, paths
}

func feedConfig(dir string, urls []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir: %s\nhttp: {listen: ''}\n", filepath.Join(dir, "data"))
	b.WriteString("sources:\n  - name: recaps\n    type: feed\n    allow_private: true\n    timeout: 10s\n    urls:\n")
	for _, u := range urls {
		fmt.Fprintf(&b, "      - %s\n", u)
	}
	b.WriteString(`stages:
  - {type: text}
  - type: tag
    rules:
      - {tag: observability, any: [prometheus, thanos, cortex, m3]}
      - {tag: autoscaling, regex: '(?i)\bauto-?scal'}
sinks:
  - {name: archive, type: parquet, path: ` + filepath.Join(dir, "archive") + "}\n")
	return b.String()
}

// itemKeys lists what DESIGN.md calls distinct items of a feed: by guid, else
// link, else title and content — computed here with gofeed directly. The last
// key belongs to one feed (two feeds' empty items are not the same item), so
// it holds the feed and, as recap's does, the enclosure.
func itemKeys(feed string, body []byte) (map[string]bool, bool) {
	body = bytes.TrimLeft(bytes.TrimPrefix(body, []byte{0xEF, 0xBB, 0xBF}), " \t\r\n")
	f, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return nil, false
	}
	keys := map[string]bool{}
	for _, it := range f.Items {
		switch {
		case strings.TrimSpace(it.GUID) != "":
			keys["g"+strings.TrimSpace(it.GUID)] = true
		case strings.TrimSpace(it.Link) != "":
			keys["l"+strings.TrimSpace(it.Link)] = true
		default:
			enclosure := ""
			if len(it.Enclosures) > 0 && it.Enclosures[0] != nil {
				enclosure = it.Enclosures[0].URL
			}
			keys["c"+feed+"\x00"+it.Title+"\x00"+it.Content+it.Description+"\x00"+enclosure] = true
		}
	}
	return keys, true
}

func TestFeedsIntoArchive(t *testing.T) {
	srv, paths := feedServer(t)
	dir := t.TempDir()
	urls := make([]string, len(paths))
	for i, p := range paths {
		urls[i] = srv.URL + p
	}
	cfg := writeConfig(t, dir, feedConfig(dir, urls))
	archive := filepath.Join(dir, "archive")

	res := mustRun(t, 3*time.Minute, "run", "-c", cfg, "--once")
	for _, want := range []string{"/missing.xml", "HTTP 404", "/malformed.xml"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("closing summary does not mention %q:\n%s", want, tail(res.stderr))
		}
	}

	db := duck(t)
	rows, distinct := counts(t, db, archive)
	if rows == 0 || rows != distinct {
		t.Fatalf("COUNT(*) = %d, COUNT(DISTINCT id) = %d", rows, distinct)
	}

	// Every feed gofeed can read on its own has exactly its distinct items. An
	// item that two feeds share (the same blog as RSS and as JSON Feed) has one
	// id within the source, so it is stored once, under whichever feed came first.
	perOrigin := map[string]int64{}
	q := fmt.Sprintf(`SELECT origin, count(*) FROM read_parquet('%s', hive_partitioning=true) GROUP BY origin`, archiveGlob(archive))
	r, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var origin string
		var n int64
		r.Scan(&origin, &n)
		perOrigin[origin] = n
	}
	feedsOf := map[string]int{}
	keysOf := map[string]map[string]bool{}
	for _, p := range paths {
		if !strings.HasPrefix(p, "/feeds/") {
			continue
		}
		body, _ := os.ReadFile(filepath.Join(corpusDir, "feeds", strings.TrimPrefix(p, "/feeds/")))
		if keys, ok := itemKeys(p, body); ok {
			keysOf[p] = keys
			for k := range keys {
				feedsOf[k]++
			}
		}
	}
	if len(keysOf) < 60 {
		t.Errorf("only %d corpus feeds were checkable", len(keysOf))
	}
	var stored int64
	for p, keys := range keysOf {
		stored += perOrigin[srv.URL+p]
		shared := false
		for k := range keys {
			shared = shared || feedsOf[k] > 1
		}
		if got := perOrigin[srv.URL+p]; !shared && got != int64(len(keys)) {
			t.Errorf("%s: %d rows, want %d distinct items", p, got, len(keys))
		}
	}
	if stored != int64(len(feedsOf)) {
		t.Errorf("corpus feeds stored %d rows, want %d distinct items across them", stored, len(feedsOf))
	}

	// A second run finds nothing new (conditional GET and seen ids).
	mustRun(t, 2*time.Minute, "run", "-c", cfg, "--once")
	if again, _ := counts(t, db, archive); again != rows {
		t.Errorf("second run changed the archive: %d → %d rows", rows, again)
	}

	checkOwnFeeds(t, db, archive, srv.URL)
	checkDesignQueries(t, db, archive)
}

func checkOwnFeeds(t *testing.T, db *sql.DB, archive, base string) {
	t.Helper()
	type item struct {
		title     string
		url       sql.NullString
		published time.Time
		authors   []any
		text      string
		tags      []any
		words     int32
	}
	get := func(title string) item {
		var it item
		var authors, tags any
		q := fmt.Sprintf(`SELECT title, url, published, authors, text, tags, words FROM read_parquet('%s', hive_partitioning=true) WHERE title = ?`, archiveGlob(archive))
		if err := db.QueryRow(q, title).Scan(&it.title, &it.url, &it.published, &authors, &it.text, &tags, &it.words); err != nil {
			t.Fatalf("%s: %v", title, err)
		}
		it.authors, _ = authors.([]any)
		it.tags, _ = tags.([]any)
		return it
	}
	obs := get("Observability day")
	if !obs.published.Equal(time.Date(2026, 4, 1, 17, 30, 0, 0, time.UTC)) {
		t.Errorf("Atom published = %v", obs.published)
	}
	if fmt.Sprint(obs.authors) != "[Ada Field Lin Notes]" {
		t.Errorf("Atom authors = %v", obs.authors)
	}
	if strings.ContainsAny(obs.text, "<>") || strings.Contains(obs.text, "steal") || strings.Contains(obs.text, "p{}") {
		t.Errorf("HTML, script or style left in text: %q", obs.text)
	}
	if !strings.Contains(obs.text, "More soon & later.") {
		t.Errorf("entities not decoded: %q", obs.text)
	}
	if !hasTag(obs.tags, "observability") || !hasTag(obs.tags, "prometheus") {
		t.Errorf("tags = %v", obs.tags)
	}
	// A blog post naming nine projects gets each from the builtin dictionary.
	post := get("The storage and telemetry hallway track")
	for _, want := range []string{"prometheus", "thanos", "cortex", "m3", "fluent-bit", "gateway-api", "cert-manager", "rook", "ceph", "observability", "storage"} {
		if !hasTag(post.tags, want) {
			t.Errorf("blog post lacks tag %s: %v", want, post.tags)
		}
	}
	if hasTag(post.tags, "kafka") || strings.Contains(post.text, "display") || strings.Contains(post.text, "pixel") {
		t.Errorf("script or style content reached the entry: %q %v", post.text, post.tags)
	}
	if post.words != 31 {
		t.Errorf("blog post words = %d, want 31", post.words)
	}
	var lang sql.NullString
	db.QueryRow(fmt.Sprintf(`SELECT lang FROM read_parquet('%s', hive_partitioning=true) WHERE title = ?`, archiveGlob(archive)), post.title).Scan(&lang)
	if lang.String != "en" {
		t.Errorf("blog post lang = %q, want en", lang.String)
	}
	auto := get("Autoscaling day")
	if !auto.published.Equal(time.Date(2026, 4, 2, 7, 15, 0, 0, time.UTC)) {
		t.Errorf("Atom published with offset = %v", auto.published)
	}
	if !hasTag(auto.tags, "autoscaling") {
		t.Errorf("regex rule not applied: %v", auto.tags)
	}
	gw := get("Gateway API talk")
	if !gw.published.Equal(time.Date(2026, 4, 7, 14, 5, 0, 0, time.UTC)) {
		t.Errorf("RSS published = %v", gw.published)
	}
	rel := get("Relative link")
	if !rel.published.Equal(time.Date(2026, 4, 8, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("RSS published with offset = %v", rel.published)
	}
	if rel.url.String != "https://rss.example.org/b" {
		t.Errorf("relative link not resolved against the site: %q", rel.url.String)
	}
	if rel.words != 2 {
		t.Errorf("words = %d, want 2", rel.words)
	}
	// No markup survives in the archive, except in two blogs whose posts quote
	// HTML as text (code samples), which must stay.
	q := fmt.Sprintf(`SELECT count(*) FROM read_parquet('%s', hive_partitioning=true)
		WHERE regexp_matches(text, '<(p|div|span|script|style|br|img|/a|a href)\b', 'i')
		  AND origin NOT LIKE '%%rsparser-3960.json' AND origin NOT LIKE '%%rsparser-curt.json'`, archiveGlob(archive))
	if n := queryInt(t, db, q); n != 0 {
		t.Errorf("%d rows still hold HTML tags in text", n)
	}
}

// checkDesignQueries runs the two queries DESIGN.md promises, as written there.
func checkDesignQueries(t *testing.T, db *sql.DB, archive string) {
	t.Helper()
	q1 := fmt.Sprintf(`SELECT tag, count(*) FROM read_parquet('%s', hive_partitioning=true),
       unnest(tags) AS t(tag) GROUP BY tag ORDER BY 2 DESC`, archiveGlob(archive))
	r, err := db.Query(q1)
	if err != nil {
		t.Fatalf("tag query: %v", err)
	}
	var tags []string
	for r.Next() {
		var tag string
		var n int64
		r.Scan(&tag, &n)
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	if i := sort.SearchStrings(tags, "observability"); i == len(tags) || tags[i] != "observability" {
		t.Errorf("tag query lacks observability: %v", tags)
	}
	q2 := fmt.Sprintf(`SELECT title, url FROM read_parquet('%s')
 WHERE list_contains(tags, 'thanos') ORDER BY published DESC`, filepath.ToSlash(filepath.Join(archive, "kind=feed_item", "**", "*.parquet")))
	r2, err := db.Query(q2)
	if err != nil {
		t.Fatalf("thanos query: %v", err)
	}
	found := false
	for r2.Next() {
		var title, url sql.NullString
		r2.Scan(&title, &url)
		found = found || title.String == "Observability day"
	}
	if !found {
		t.Errorf("thanos query did not return the Observability day post")
	}
}

func hasTag(tags []any, want string) bool {
	for _, t := range tags {
		if t == want {
			return true
		}
	}
	return false
}
