package transcript

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/recap-dev/recap/config"
	"github.com/recap-dev/recap/pipeline"
)

func init() { pipeline.RegisterSource("transcript", New) }

// Options are the transcript source's configuration keys.
type Options struct {
	Paths           []string        `yaml:"paths,required"` // folders (watched, recursively) or files/globs
	Extensions      []string        `yaml:"extensions"`
	Exclude         []string        `yaml:"exclude"` // name patterns never read (any case): "README*", or "LICENSES/*" for a folder's files
	SegmentChars    int             `yaml:"segment_chars"`
	SegmentDuration config.Duration `yaml:"segment_duration"`
	MaxBytes        config.Size     `yaml:"max_bytes"`
	Encoding        string          `yaml:"encoding"` // force a character encoding (WHATWG label); default detects
	Settle          config.Duration `yaml:"settle"`   // quiet time after the last write before a file is read
	Rescan          config.Duration `yaml:"rescan"`   // full rescan interval, a safety net for missed events
}

func defaults() Options {
	return Options{
		Extensions: []string{".vtt", ".srt", ".sbv", ".xml", ".json", ".html", ".htm", ".txt", ".md"},
		// Files that sit beside transcripts but never are one; as .txt or .md
		// they would otherwise read as plain-text transcripts.
		Exclude: []string{"README*", "LICENSE*", "LICENCE*", "COPYING*", "NOTICE*", "CHANGELOG*",
			"CONTRIBUTING*", "AUTHORS*", "LICENSES/*", "LICENCES/*"},
		SegmentChars:    DefaultSegmentChars,
		SegmentDuration: config.Duration(DefaultSegmentDuration),
		MaxBytes:        16 << 20,
		Settle:          config.Duration(300 * time.Millisecond),
		Rescan:          config.Duration(time.Minute),
	}
}

// Source ingests transcript files: each is parsed, merged into segments and
// emitted once; a changed file emits only segments not seen before.
type Source struct {
	env  *pipeline.Env
	opts Options
	exts map[string]bool
}

// New checks the options.
func New(env *pipeline.Env) (pipeline.Source, error) {
	opts := defaults()
	errs := config.ErrorsOf(env.Options.Decode(&opts))
	for i, p := range opts.Paths {
		if _, err := filepath.Match(p, ""); err != nil {
			errs = append(errs, env.Options.Errorf("paths", "paths[%d] %q: %v", i, p, err))
		}
	}
	exts := map[string]bool{}
	for _, e := range opts.Extensions {
		if !strings.HasPrefix(e, ".") || strings.ContainsAny(e, `/\`) {
			errs = append(errs, env.Options.Errorf("extensions", "%q is not a file extension like .vtt", e))
		}
		exts[strings.ToLower(e)] = true
	}
	for i, p := range opts.Exclude {
		if _, err := path.Match(p, ""); err != nil || strings.Count(p, "/") > 1 {
			errs = append(errs, env.Options.Errorf("exclude", "exclude[%d] %q: not a name pattern like README* or LICENSES/*", i, p))
		}
		opts.Exclude[i] = strings.ToLower(p) // matched in any case
	}
	if opts.SegmentChars < 50 || opts.SegmentChars > 100_000 {
		errs = append(errs, env.Options.Errorf("segment_chars", "must be between 50 and 100000"))
	}
	if opts.SegmentDuration.D() < time.Second {
		errs = append(errs, env.Options.Errorf("segment_duration", "must be at least 1s"))
	}
	if opts.MaxBytes < 1<<10 || opts.MaxBytes > MaxInputBytes {
		errs = append(errs, env.Options.Errorf("max_bytes", "must be between 1KiB and %s", config.Size(MaxInputBytes)))
	}
	if opts.Rescan.D() < time.Second {
		errs = append(errs, env.Options.Errorf("rescan", "must be at least 1s"))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return &Source{env: env, opts: opts, exts: exts}, nil
}

// fileState is what is kept per transcript in the state store.
type fileState struct {
	Path string   `json:"path"`
	Hash string   `json:"hash"` // of the content last ingested
	Seen []string `json:"seen"` // segment ids already stored
}

// Run ingests every transcript once (--once), or keeps watching the folders.
func (s *Source) Run(ctx context.Context, emit pipeline.Emitter) error {
	var w *fsnotify.Watcher
	if !s.env.Once {
		var err error
		if w, err = fsnotify.NewWatcher(); err != nil {
			s.env.Fail("watch", fmt.Errorf("file watching unavailable, rescanning every %s instead: %w", s.opts.Rescan, err))
		} else {
			defer w.Close()
		}
	}
	if err := s.scan(ctx, emit, w); err != nil || s.env.Once {
		return err
	}
	return s.watch(ctx, emit, w)
}

// scan ingests every transcript under the configured paths (and watches
// every folder seen, when w is set).
func (s *Source) scan(ctx context.Context, emit pipeline.Emitter, w *fsnotify.Watcher) error {
	for _, root := range s.roots() {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					s.env.Fail("read", fmt.Errorf("%s: %w", path, err))
				}
				return nil
			}
			if d.IsDir() {
				if w != nil {
					if err := w.Add(path); err != nil {
						s.env.Fail("watch", fmt.Errorf("watch %s: %w", path, err))
					}
				}
				return nil
			}
			if d.Type().IsRegular() && s.wanted(path) {
				return s.ingest(ctx, path, emit)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// roots expands the configured paths (globs allowed) against the config file.
func (s *Source) roots() []string {
	var out []string
	for _, p := range s.opts.Paths {
		matches, _ := filepath.Glob(s.env.Path(p))
		out = append(out, matches...)
	}
	return out
}

func (s *Source) wanted(file string) bool {
	return !IsSidecar(file) && s.exts[strings.ToLower(filepath.Ext(file))] && !strings.HasPrefix(filepath.Base(file), ".") &&
		!s.excluded(file)
}

// excluded reports whether a pattern of opts.Exclude matches the file's name,
// or its folder's and its name for a pattern with a slash.
func (s *Source) excluded(file string) bool {
	name := strings.ToLower(filepath.Base(file))
	inFolder := strings.ToLower(filepath.Base(filepath.Dir(file))) + "/" + name
	for _, p := range s.opts.Exclude {
		subject := name
		if strings.Contains(p, "/") {
			subject = inFolder
		}
		if ok, _ := path.Match(p, subject); ok {
			return true
		}
	}
	return false
}

// watch ingests files as they are written, once they have been quiet for
// Settle, and rescans everything every Rescan in case an event was missed.
func (s *Source) watch(ctx context.Context, emit pipeline.Emitter, w *fsnotify.Watcher) error {
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w != nil {
		events, errs = w.Events, w.Errors
	}
	rescan := time.NewTicker(s.opts.Rescan.D())
	defer rescan.Stop()
	settle := time.NewTicker(max(s.opts.Settle.D()/2, 10*time.Millisecond))
	defer settle.Stop()
	due := map[string]time.Time{} // path → when it may be read
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-events:
			s.noteEvent(w, ev, due)
		case err := <-errs:
			s.env.Fail("watch", err)
		case <-rescan.C:
			if err := s.scan(ctx, emit, w); err != nil {
				return err
			}
		case now := <-settle.C:
			for path, at := range due {
				if now.Before(at) {
					continue
				}
				delete(due, path)
				if err := s.ingest(ctx, path, emit); err != nil {
					return err
				}
			}
		}
	}
}

func (s *Source) noteEvent(w *fsnotify.Watcher, ev fsnotify.Event, due map[string]time.Time) {
	if !ev.Has(fsnotify.Create) && !ev.Has(fsnotify.Write) && !ev.Has(fsnotify.Rename) {
		return
	}
	path := ev.Name
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		if ev.Has(fsnotify.Create) {
			w.Add(path) // a new subfolder: watch it too; its files arrive as events or at the rescan
		}
		return
	}
	if IsSidecar(path) {
		// A sidecar written after its transcript: read the transcript again.
		base := strings.TrimSuffix(path, filepath.Ext(path))
		base = strings.TrimSuffix(base, ".meta")
		for ext := range s.exts {
			if _, err := os.Stat(base + ext); err == nil {
				due[base+ext] = time.Now().Add(s.opts.Settle.D())
			}
		}
		return
	}
	if s.wanted(path) {
		due[path] = time.Now().Add(s.opts.Settle.D())
	}
}

// stateKey names a transcript in the state store by its path.
func stateKey(path string) string {
	sum := sha256.Sum256([]byte(path))
	return "file." + hex.EncodeToString(sum[:12])
}

// ingest parses one file and emits its segments not stored before. Problems
// with one file are reported and never stop the source.
func (s *Source) ingest(ctx context.Context, path string, emit pipeline.Emitter) error {
	data, err := readLimited(path, int64(s.opts.MaxBytes))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.env.Fail("read", fmt.Errorf("%s: %w", path, err))
		}
		return nil
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	key := stateKey(path)
	var st fileState
	if _, err := pipeline.GetJSON(ctx, s.env.State, key, &st); errors.Is(err, pipeline.ErrBadState) {
		s.env.Fail("state", fmt.Errorf("%s: %w; reading it again", path, err))
		st = fileState{}
	} else if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	if st.Hash == hash {
		return nil // unchanged since it was stored
	}
	meta, err := LoadSidecar(path)
	if err != nil {
		s.env.Fail("sidecar", fmt.Errorf("%s: %w (ingesting without it)", path, err))
		meta = nil
	}
	encoding := s.opts.Encoding
	if meta != nil && meta.Encoding != "" {
		encoding = meta.Encoding
	}
	t, err := ParseWithEncoding(path, data, encoding)
	if err != nil {
		s.env.Fail("parse", fmt.Errorf("%s: %w", path, err))
		return nil
	}
	if t.Skipped > 0 {
		s.env.Fail("parse", fmt.Errorf("%s: %d malformed cues skipped: %s", path, t.Skipped, strings.Join(t.Problems, "; ")))
	}
	entries := s.entries(path, t, meta)
	seen := make(map[string]bool, len(st.Seen))
	for _, id := range st.Seen {
		seen[id] = true
	}
	next := fileState{Path: path, Hash: hash, Seen: st.Seen}
	var fresh []*pipeline.Entry
	for _, e := range entries {
		if !seen[e.ID] {
			seen[e.ID] = true
			fresh = append(fresh, e)
			next.Seen = append(next.Seen, e.ID)
		}
	}
	save := func() {
		if err := pipeline.PutJSON(context.WithoutCancel(ctx), s.env.State, key, next); err != nil {
			s.env.Fail("state", fmt.Errorf("%s: save state: %w (it may be read again, never duplicated in the archive)", path, err))
		}
	}
	if err := pipeline.EmitAll(ctx, emit, fresh, save); err != nil {
		return err
	}
	if len(fresh) == 0 {
		return nil
	}
	s.env.Log.Info("transcript ingested", "path", path, "format", t.Format, "segments", len(entries), "new", len(fresh))
	return nil
}

// entries turns a parsed transcript into one entry per segment. Ids are
// StableID(source, path, first cue index), so re-reading gives the same ids.
func (s *Source) entries(path string, t *Transcript, meta *Meta) []*pipeline.Entry {
	title := t.Title
	var speakers []string
	var published time.Time
	var url, event string
	if meta != nil {
		title = cmp.Or(meta.Title, title)
		speakers = meta.Speakers
		published, url, event = meta.Date, meta.URL, meta.Event
	}
	if title == "" {
		title = TitleFromFileName(filepath.Base(path))
	}
	var out []*pipeline.Entry
	for _, seg := range Segments(t.Cues, s.opts.SegmentChars, s.opts.SegmentDuration.D()) {
		authors := slices.Clone(speakers)
		for _, sp := range seg.Speakers {
			if !slices.Contains(authors, sp) {
				authors = append(authors, sp)
			}
		}
		e := &pipeline.Entry{
			ID:        pipeline.StableID(s.env.Name, path, fmt.Sprint(seg.FirstCue)),
			Kind:      pipeline.KindTranscript,
			Origin:    path,
			Title:     title,
			URL:       url,
			Authors:   authors,
			Published: published,
			Text:      seg.Text,
			Timing:    &pipeline.Timing{StartMs: seg.Start.Milliseconds(), EndMs: seg.End.Milliseconds()},
			Attrs:     []pipeline.Attr{{Key: "format", Value: t.Format}},
		}
		if event != "" {
			e.Attrs = append(e.Attrs, pipeline.Attr{Key: "event", Value: event})
		}
		if t.Encoding != "" && t.Encoding != "utf-8" {
			e.Attrs = append(e.Attrs, pipeline.Attr{Key: "encoding", Value: t.Encoding})
		}
		out = append(out, e)
	}
	return out
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return pipeline.ReadAtMost(f, limit)
}
