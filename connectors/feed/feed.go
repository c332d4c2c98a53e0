// Package feed is the "feed" source: RSS 0.9x/1.0/2.0, Atom and JSON Feed,
// from http(s) and file URLs and OPML lists, polled per source interval with
// conditional GET, stable entry ids and seen-ids kept in the state store, so a
// re-poll or a restart adds no duplicate. A failing feed is reported and backs
// off; it never stops the other feeds.
package feed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/recap-dev/recap/config"
	"github.com/recap-dev/recap/pipeline"
)

func init() { pipeline.RegisterSource("feed", New) }

// Options are the feed source's configuration keys.
type Options struct {
	URLs         []string        `yaml:"urls"`
	OPML         string          `yaml:"opml"`
	Interval     config.Duration `yaml:"interval"`
	Timeout      config.Duration `yaml:"timeout"`
	MaxBytes     config.Size     `yaml:"max_bytes"`
	AllowPrivate bool            `yaml:"allow_private"` // allow feeds on loopback/private addresses
	UserAgent    string          `yaml:"user_agent"`
	Concurrency  int             `yaml:"concurrency"`
	MaxBackoff   config.Duration `yaml:"max_backoff"`
}

func defaults() Options {
	return Options{
		Interval:    config.Duration(15 * time.Minute),
		Timeout:     config.Duration(30 * time.Second),
		MaxBytes:    10 << 20,
		UserAgent:   "recap (+https://github.com/recap-dev/recap)",
		Concurrency: 4,
		MaxBackoff:  config.Duration(6 * time.Hour),
	}
}

// Source polls a set of feeds.
type Source struct {
	env   *pipeline.Env
	opts  Options
	fetch *fetcher
}

// New checks the options; feed URLs from OPML are read when the source runs.
func New(env *pipeline.Env) (pipeline.Source, error) {
	opts := defaults()
	errs := config.ErrorsOf(env.Options.Decode(&opts))
	if len(opts.URLs) == 0 && opts.OPML == "" {
		errs = append(errs, env.Options.Errorf("urls", "give at least one feed in urls or an opml file"))
	}
	for i, raw := range opts.URLs {
		if err := checkURL(raw); err != nil {
			errs = append(errs, env.Options.Errorf("urls", "urls[%d] %q: %v", i, raw, err))
		}
	}
	if opts.Interval.D() < time.Second {
		errs = append(errs, env.Options.Errorf("interval", "must be at least 1s"))
	}
	if opts.Timeout.D() <= 0 {
		errs = append(errs, env.Options.Errorf("timeout", "must be positive"))
	}
	if opts.MaxBytes < 1<<10 || opts.MaxBytes > 1<<30 {
		errs = append(errs, env.Options.Errorf("max_bytes", "must be between 1KiB and 1GiB"))
	}
	if opts.Concurrency < 1 || opts.Concurrency > 64 {
		errs = append(errs, env.Options.Errorf("concurrency", "must be between 1 and 64"))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return &Source{
		env:   env,
		opts:  opts,
		fetch: newFetcher(opts.Timeout.D(), int64(opts.MaxBytes), opts.AllowPrivate, opts.UserAgent, env.Path),
	}, nil
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return errors.New("no host")
		}
	case "file", "":
		if fileURLPath(u) == "" {
			return errors.New("no path")
		}
	default:
		return fmt.Errorf("unsupported scheme %q (use http, https or file)", u.Scheme)
	}
	return nil
}

// Run polls every feed: once each with --once, else on the interval until ctx
// ends. In daemon mode the OPML file is watched: feeds added to it are
// followed and feeds removed from it are dropped, without a restart.
func (s *Source) Run(ctx context.Context, emit pipeline.Emitter) error {
	sem := make(chan struct{}, s.opts.Concurrency)
	var wg sync.WaitGroup
	followers := map[string]context.CancelFunc{}
	follow := func(urls []string) {
		keep := map[string]bool{}
		for _, u := range urls {
			keep[u] = true
			if followers[u] == nil {
				fctx, cancel := context.WithCancel(ctx)
				followers[u] = cancel
				wg.Go(func() { s.follow(fctx, u, emit, sem) })
			}
		}
		for u, cancel := range followers {
			if !keep[u] {
				cancel()
				delete(followers, u)
			}
		}
	}
	list := opmlList{path: s.env.Path(s.opts.OPML)}
	urls, err := s.feedURLs(&list)
	if err != nil {
		s.env.Fail("opml", err)
	}
	follow(urls)
	if !s.env.Once && s.opts.OPML != "" {
		s.watchOPML(ctx, &list, follow)
	}
	wg.Wait()
	return nil
}

// opmlCheck is how often a daemon looks for a changed OPML file (at most; a
// shorter feed interval checks as often as it polls).
const opmlCheck = 10 * time.Second

// watchOPML re-reads the OPML file when it changes, until ctx ends. A file
// that cannot be read keeps the feeds followed so far.
func (s *Source) watchOPML(ctx context.Context, list *opmlList, follow func([]string)) {
	pipeline.Every(ctx, min(opmlCheck, s.opts.Interval.D()), func() bool {
		if !list.changed() {
			return true
		}
		urls, err := s.feedURLs(list)
		if err != nil {
			s.env.Fail("opml", err)
			return true
		}
		s.env.Log.Info("opml file changed; following its feeds", "opml", s.opts.OPML, "feeds", len(urls))
		follow(urls)
		return true
	})
}

// feedURLs is the configured urls plus those of the OPML file, without repeats.
func (s *Source) feedURLs(list *opmlList) ([]string, error) {
	urls := append([]string(nil), s.opts.URLs...)
	var err error
	if s.opts.OPML != "" {
		var more []string
		more, err = list.read(int64(s.opts.MaxBytes))
		if err != nil {
			err = fmt.Errorf("opml %s: %w", s.opts.OPML, err)
		}
		urls = append(urls, more...)
	}
	return dedupe(urls), err
}

func dedupe(urls []string) []string {
	seen := map[string]bool{}
	out := urls[:0]
	for _, u := range urls {
		u = strings.TrimSpace(u)
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

// follow polls one feed until ctx ends (or once). After failures the wait grows
// as interval × 2^(failures-1), capped by max_backoff, with jitter.
func (s *Source) follow(ctx context.Context, feedURL string, emit pipeline.Emitter, sem chan struct{}) {
	failures := 0
	for {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		err := s.poll(ctx, feedURL, emit)
		<-sem
		if err != nil && ctx.Err() == nil {
			failures++
			s.env.Fail(failReason(err), fmt.Errorf("feed %s: %w", feedURL, err), "url", feedURL, "failures", failures)
		} else {
			failures = 0
		}
		if s.env.Once || ctx.Err() != nil {
			return
		}
		wait := s.opts.Interval.D()
		if failures > 1 {
			wait = min(wait<<min(failures-1, 20), max(s.opts.MaxBackoff.D(), wait))
		}
		b := pipeline.Backoff{Min: wait, Max: wait} // jitter within [wait/2, wait)
		if !b.Wait(ctx) {
			return
		}
	}
}

func failReason(err error) string {
	var se *statusError
	switch {
	case errors.As(err, &se):
		return "http_status"
	case errors.Is(err, pipeline.ErrTooLarge):
		return "too_large"
	case errors.Is(err, errBlockedAddress):
		return "blocked_address"
	case errors.Is(err, errParse):
		return "parse"
	}
	return "fetch"
}

var errParse = errors.New("malformed feed")

// feedState is what is kept per feed in the state store.
type feedState struct {
	validators
	Seen []string `json:"seen"` // entry ids, newest first
}

// maxSeen bounds the remembered ids per feed beyond those in the current document.
const maxSeen = 5000

func stateKey(feedURL string) string {
	sum := sha256.Sum256([]byte(feedURL))
	return "feed." + hex.EncodeToString(sum[:12])
}

// poll fetches and parses one feed and emits the items not seen before. The new
// state (validators, seen ids) is saved only once those items are stored.
func (s *Source) poll(ctx context.Context, feedURL string, emit pipeline.Emitter) error {
	key := stateKey(feedURL)
	var st feedState
	if _, err := pipeline.GetJSON(ctx, s.env.State, key, &st); errors.Is(err, pipeline.ErrBadState) {
		s.env.Fail("state", fmt.Errorf("feed %s: %w; starting afresh", feedURL, err))
		st = feedState{}
	} else if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	res, err := s.fetch.fetch(ctx, feedURL, st.validators)
	if err != nil {
		return err
	}
	if res.notModified {
		return nil
	}
	parsed, err := parseFeed(res.body, res.contentType)
	if err != nil {
		return fmt.Errorf("%w: %v", errParse, err)
	}
	entries := toEntries(s.env.Name, feedURL, parsed)
	seen := make(map[string]bool, len(st.Seen))
	for _, id := range st.Seen {
		seen[id] = true
	}
	next := feedState{validators: validators{ETag: res.etag, LastModified: res.lastModified}}
	var fresh []*pipeline.Entry
	for _, e := range entries {
		next.Seen = append(next.Seen, e.ID)
		if !seen[e.ID] {
			seen[e.ID] = true // a feed listing the same item twice emits it once
			fresh = append(fresh, e)
		}
	}
	inDoc := make(map[string]bool, len(next.Seen))
	for _, id := range next.Seen {
		inDoc[id] = true
	}
	for _, id := range st.Seen {
		if len(next.Seen) >= len(entries)+maxSeen {
			break
		}
		if !inDoc[id] {
			next.Seen = append(next.Seen, id)
		}
	}
	save := func() {
		if err := pipeline.PutJSON(context.WithoutCancel(ctx), s.env.State, key, next); err != nil {
			s.env.Fail("state", fmt.Errorf("feed %s: save state: %w (items may be re-read, never duplicated in the archive)", feedURL, err))
		}
	}
	if err := pipeline.EmitAll(ctx, emit, fresh, save); err != nil {
		return err
	}
	if len(fresh) == 0 {
		return nil
	}
	s.env.Log.Info("feed polled", "url", feedURL, "items", len(entries), "new", len(fresh))
	return nil
}

// toEntries maps a parsed feed's items to entries with stable ids: the guid,
// else the link, else a hash of title and content, always under the source name.
// guids and links name an item wherever it is published (a blog's RSS and JSON
// feeds share them), but title and content do not: two feeds may both carry an
// untitled, empty item, so that last key also holds the feed URL and enclosure.
func toEntries(source, feedURL string, f *gofeed.Feed) []*pipeline.Entry {
	base := baseURL(feedURL, f.Link)
	out := make([]*pipeline.Entry, 0, len(f.Items))
	for _, it := range f.Items {
		if it == nil {
			continue
		}
		e := &pipeline.Entry{
			Kind:   pipeline.KindFeedItem,
			Origin: feedURL,
			Title:  strings.TrimSpace(it.Title),
			URL:    resolve(base, firstNonEmpty(it.Link, firstOf(it.Links))),
			Text:   firstNonEmpty(it.Content, it.Description),
			HTML:   true,
		}
		var enclosure string
		if len(it.Enclosures) > 0 && it.Enclosures[0] != nil && it.Enclosures[0].URL != "" {
			enclosure = resolve(base, it.Enclosures[0].URL)
		}
		switch {
		case strings.TrimSpace(it.GUID) != "":
			e.ID = pipeline.StableID(source, "guid", strings.TrimSpace(it.GUID))
		case e.URL != "":
			e.ID = pipeline.StableID(source, "link", e.URL)
		default:
			e.ID = pipeline.StableID(source, "content", feedURL, e.Title, e.Text, enclosure)
		}
		switch {
		case it.PublishedParsed != nil:
			e.Published = it.PublishedParsed.UTC()
		case it.UpdatedParsed != nil:
			e.Published = it.UpdatedParsed.UTC()
		}
		for _, a := range it.Authors {
			if a != nil && strings.TrimSpace(a.Name) != "" {
				e.Authors = append(e.Authors, strings.TrimSpace(a.Name))
			} else if a != nil && strings.TrimSpace(a.Email) != "" {
				e.Authors = append(e.Authors, strings.TrimSpace(a.Email))
			}
		}
		for _, c := range it.Categories {
			if c = strings.TrimSpace(c); c != "" {
				e.Categories = append(e.Categories, c)
			}
		}
		if f.Title != "" {
			e.Attrs = append(e.Attrs, pipeline.Attr{Key: "feed_title", Value: strings.TrimSpace(f.Title)})
		}
		if it.GUID != "" {
			e.Attrs = append(e.Attrs, pipeline.Attr{Key: "guid", Value: strings.TrimSpace(it.GUID)})
		}
		if it.UpdatedParsed != nil {
			e.Attrs = append(e.Attrs, pipeline.Attr{Key: "updated", Value: it.UpdatedParsed.UTC().Format(time.RFC3339)})
		}
		if enclosure != "" {
			e.Attrs = append(e.Attrs, pipeline.Attr{Key: "enclosure", Value: enclosure})
		}
		sort.SliceStable(e.Attrs, func(i, j int) bool { return e.Attrs[i].Key < e.Attrs[j].Key })
		out = append(out, e)
	}
	return out
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

func firstOf(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

// baseURL is what relative item links resolve against: the site link, else the feed URL.
func baseURL(feedURL, siteLink string) *url.URL {
	for _, s := range []string{strings.TrimSpace(siteLink), feedURL} {
		if u, err := url.Parse(s); err == nil && u.IsAbs() && (u.Scheme == "http" || u.Scheme == "https") {
			return u
		}
	}
	return nil
}

func resolve(base *url.URL, link string) string {
	link = strings.TrimSpace(link)
	if link == "" {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	if base != nil && !u.IsAbs() {
		return base.ResolveReference(u).String()
	}
	return u.String()
}
