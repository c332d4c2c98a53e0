// Package parquet is the "parquet" sink: the archive DuckDB reads. Files are
// laid out Hive-style as <path>/kind=<kind>/date=<YYYY-MM-DD>/part-<first>-<last>.parquet,
// named by the RECAP_ENTRIES sequence range they hold, written as a hidden temp
// file, fsynced and renamed into place; only then are their chunks acked.
// Entry ids already in the archive (within dedup_days) are skipped, so re-reads
// after a crash never duplicate a row.
package parquet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/recap-dev/recap/config"
	"github.com/recap-dev/recap/pipeline"
)

func init() { pipeline.RegisterSink("parquet", New) }

// Options are the parquet sink's configuration keys.
type Options struct {
	Path         string          `yaml:"path,required"`
	MaxRows      int64           `yaml:"max_rows"`
	MaxBytes     config.Size     `yaml:"max_bytes"`
	MaxAge       config.Duration `yaml:"max_age"`
	RowGroupRows int64           `yaml:"row_group_rows"`
	DedupDays    int             `yaml:"dedup_days"`
}

func defaults() Options {
	return Options{
		MaxRows:      4_000_000,
		MaxBytes:     128 << 20,
		MaxAge:       config.Duration(15 * time.Minute),
		RowGroupRows: 128 << 10,
		DedupDays:    2,
	}
}

// Sink writes the archive.
type Sink struct {
	env  *pipeline.Env
	opts Options
	root string

	mu      sync.Mutex
	open    map[partKey]*partFile
	days    map[string]*idSet      // committed ids by ingestion date, within the dedup window
	pending map[*partFile]struct{} // files written to and not yet committed (open or committing)
	loaded  bool
	stopAge chan struct{}
	commits sync.WaitGroup
	failed  error // last commit error, returned by Flush
}

type partKey struct{ kind, date string }

// New checks the options; the archive is scanned when the first chunk arrives.
func New(env *pipeline.Env) (pipeline.Sink, error) {
	opts := defaults()
	errs := config.ErrorsOf(env.Options.Decode(&opts))
	if opts.MaxRows < 1 {
		errs = append(errs, env.Options.Errorf("max_rows", "must be at least 1"))
	}
	if opts.MaxBytes < 1<<20 {
		errs = append(errs, env.Options.Errorf("max_bytes", "must be at least 1MiB"))
	}
	if opts.MaxAge.D() < time.Second {
		errs = append(errs, env.Options.Errorf("max_age", "must be at least 1s"))
	}
	if opts.RowGroupRows < 1000 {
		errs = append(errs, env.Options.Errorf("row_group_rows", "must be at least 1000"))
	}
	if opts.DedupDays < 1 || opts.DedupDays > 31 {
		errs = append(errs, env.Options.Errorf("dedup_days", "must be between 1 and 31"))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return &Sink{
		env:     env,
		opts:    opts,
		root:    env.Path(opts.Path),
		open:    map[partKey]*partFile{},
		days:    map[string]*idSet{},
		pending: map[*partFile]struct{}{},
	}, nil
}

// Write appends the chunk's new entries to the open file of their partition.
// done runs when every file holding them (or holding the originals of the
// entries skipped as duplicates) is committed.
func (s *Sink) Write(ctx context.Context, c *pipeline.Chunk, done func(error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		if err := s.load(); err != nil {
			done(err)
			return err
		}
		s.loaded = true
		s.stopAge = make(chan struct{})
		go s.rollByAge(s.stopAge)
	}
	s.dropOldDays()
	waits := newCountdown(done)
	var rows []Row
	var files []*partFile
	dups := 0
	flush := func(pf *partFile) error {
		if len(rows) == 0 {
			return nil
		}
		err := pf.write(rows)
		rows = rows[:0]
		return err
	}
	var cur *partFile
	for i := range c.Entries {
		e := &c.Entries[i]
		h := xxhash.Sum64String(e.ID)
		if pf := s.holder(h); pf != nil {
			dups++
			files = appendOnce(files, pf)
			continue
		}
		date := e.Ingested.UTC().Format(time.DateOnly)
		if s.committed(h) {
			dups++
			continue
		}
		pf, err := s.file(partKey{c.Kind, date})
		if err != nil {
			done(err)
			return err
		}
		if pf != cur {
			if cur != nil {
				if err := flush(cur); err != nil {
					return s.abort(cur, err, done)
				}
			}
			cur = pf
		}
		pf.ids.add(h)
		files = appendOnce(files, pf)
		rows = append(rows, toRow(e))
	}
	if cur != nil {
		if err := flush(cur); err != nil {
			return s.abort(cur, err, done)
		}
	}
	if dups > 0 {
		s.env.Report.Duplicates.WithLabelValues(s.env.Name).Add(float64(dups))
	}
	for _, pf := range files {
		pf.note(c.Seq, waits.add())
	}
	waits.arm()
	for _, pf := range files {
		// A file that only held duplicates may already be rolling; it is
		// committed once, by whoever detached it.
		if s.open[pf.key] == pf && pf.full(s.opts) {
			s.roll(pf)
		}
	}
	return nil
}

func appendOnce(files []*partFile, pf *partFile) []*partFile {
	for _, f := range files {
		if f == pf {
			return files
		}
	}
	return append(files, pf)
}

// holder returns the uncommitted file that already holds id hash h, if any.
func (s *Sink) holder(h uint64) *partFile {
	for pf := range s.pending {
		if pf.ids.has(h) {
			return pf
		}
	}
	return nil
}

func (s *Sink) committed(h uint64) bool {
	for _, set := range s.days {
		if set.has(h) {
			return true
		}
	}
	return false
}

// file returns the open file of a partition, opening one if needed.
func (s *Sink) file(k partKey) (*partFile, error) {
	if pf := s.open[k]; pf != nil {
		return pf, nil
	}
	if !pipeline.IsKind(k.kind) {
		return nil, fmt.Errorf("refusing unknown kind %q as a partition directory", k.kind)
	}
	dir := filepath.Join(s.root, "kind="+k.kind, "date="+k.date)
	pf, err := createPart(dir, k, s.opts)
	if err != nil {
		s.env.Fail("write", err)
		return nil, err
	}
	s.open[k] = pf
	s.pending[pf] = struct{}{}
	return pf, nil
}

// abort gives up an open file after a write error: its chunks are redelivered.
func (s *Sink) abort(pf *partFile, err error, done func(error)) error {
	s.env.Fail("write", fmt.Errorf("write %s: %w", pf.tmp, err))
	delete(s.open, pf.key)
	s.forget(pf)
	pf.discard(err)
	done(err)
	return err
}

// forget drops a failed file's ids so their redelivered entries are written again.
func (s *Sink) forget(pf *partFile) { delete(s.pending, pf) }

// roll detaches a file and commits it in the background, so encoding the last
// row group and fsyncing overlap with the next writes.
func (s *Sink) roll(pf *partFile) {
	delete(s.open, pf.key)
	s.commits.Go(func() {
		path, rows, err := pf.commit()
		s.mu.Lock()
		if err != nil {
			s.forget(pf)
			s.failed = err
			s.mu.Unlock()
			s.env.Fail("commit", fmt.Errorf("commit %s: %w (its chunks will be redelivered)", pf.tmp, err))
			pf.finish(err)
			return
		}
		set := s.days[pf.key.date]
		if set == nil {
			set = &idSet{}
			s.days[pf.key.date] = set
		}
		set.merge(&pf.ids)
		delete(s.pending, pf)
		s.mu.Unlock()
		if rows > 0 {
			s.env.Report.Stored.WithLabelValues(s.env.Name).Add(float64(rows))
			s.env.Log.Info("archived", "file", path, "rows", rows)
		}
		pf.finish(nil)
	})
}

// Flush commits every open file and waits for all commits.
func (s *Sink) Flush(ctx context.Context) error {
	s.mu.Lock()
	for _, pf := range s.open {
		s.roll(pf)
	}
	s.mu.Unlock()
	s.commits.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.failed
	s.failed = nil
	return err
}

// Close stops the age roller and commits what is open.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.stopAge != nil {
		close(s.stopAge)
		s.stopAge = nil
	}
	s.mu.Unlock()
	return s.Flush(ctx)
}

// rollByAge commits files older than max_age, so a quiet partition still
// reaches the archive (and its chunks are acked) in bounded time.
func (s *Sink) rollByAge(stop <-chan struct{}) {
	t := time.NewTicker(min(time.Second, s.opts.MaxAge.D()/2))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			s.mu.Lock()
			for _, pf := range s.open {
				if now.Sub(pf.opened) >= s.opts.MaxAge.D() {
					s.roll(pf)
				}
			}
			s.mu.Unlock()
		}
	}
}

// dropOldDays forgets committed ids that fell out of the dedup window.
func (s *Sink) dropOldDays() {
	oldest := time.Now().UTC().AddDate(0, 0, -(s.opts.DedupDays - 1)).Format(time.DateOnly)
	for d := range s.days {
		if d < oldest {
			delete(s.days, d)
		}
	}
}

// load removes temp files left by a crash (their chunks were never acked and
// come again) and reads the ids of the archive's recent partitions.
func (s *Sink) load() error {
	oldest := time.Now().UTC().AddDate(0, 0, -(s.opts.DedupDays - 1)).Format(time.DateOnly)
	kinds, err := filepath.Glob(filepath.Join(s.root, "kind=*"))
	if err != nil {
		return err
	}
	start := time.Now()
	files := 0
	for _, kd := range kinds {
		dates, _ := filepath.Glob(filepath.Join(kd, "date=*"))
		for _, dd := range dates {
			date := strings.TrimPrefix(filepath.Base(dd), "date=")
			temps, _ := filepath.Glob(filepath.Join(dd, ".part-*"+tmpSuffix))
			for _, t := range temps {
				os.Remove(t)
			}
			if date < oldest {
				continue
			}
			parts, _ := filepath.Glob(filepath.Join(dd, "part-*.parquet"))
			sort.Strings(parts)
			set := s.days[date]
			if set == nil {
				set = &idSet{}
				s.days[date] = set
			}
			for _, p := range parts {
				if err := readIDs(p, func(id string) { set.add(xxhash.Sum64String(id)) }); err != nil {
					s.env.Fail("load", fmt.Errorf("read ids of %s: %w (entries in it may be written again)", p, err))
				}
				files++
			}
		}
	}
	if files > 0 {
		n := 0
		for _, set := range s.days {
			n += set.n
		}
		s.env.Log.Info("archive dedup window loaded", "files", files, "ids", n, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// countdown calls done once every part has reported, with the first error.
type countdown struct {
	mu    sync.Mutex
	left  int
	armed bool
	err   error
	done  func(error)
}

func newCountdown(done func(error)) *countdown { return &countdown{done: done} }

func (c *countdown) add() func(error) {
	c.mu.Lock()
	c.left++
	c.mu.Unlock()
	return func(err error) {
		c.mu.Lock()
		c.left--
		if err != nil && c.err == nil {
			c.err = err
		}
		fire := c.armed && c.left == 0
		c.mu.Unlock()
		if fire {
			c.done(c.err)
		}
	}
}

// arm allows done to fire; a chunk with no parts at all (all duplicates of
// committed rows) is done at once.
func (c *countdown) arm() {
	c.mu.Lock()
	c.armed = true
	fire := c.left == 0
	c.mu.Unlock()
	if fire {
		c.done(c.err)
	}
}
