package parquet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/recap-dev/recap/pipeline"
)

// Row is the archive schema of DESIGN.md, one entry per row. Nullable columns are pointers into
// the entry being written (no copy); low-cardinality columns are dictionary
// encoded; every column gets statistics.
type Row struct {
	ID         string            `parquet:"id"`
	Kind       string            `parquet:"kind,dict"`
	Source     string            `parquet:"source,dict"`
	Origin     string            `parquet:"origin,dict"`
	Title      *string           `parquet:"title,optional"`
	URL        *string           `parquet:"url,optional"`
	Authors    []string          `parquet:"authors,list"`
	Published  int64             `parquet:"published,timestamp(microsecond)"`
	Ingested   int64             `parquet:"ingested,timestamp(microsecond)"`
	Text       string            `parquet:"text"`
	Lang       *string           `parquet:"lang,optional,dict"`
	Words      int32             `parquet:"words"`
	Categories []string          `parquet:"categories,list"`
	Tags       []string          `parquet:"tags,list"`
	StartMs    *int64            `parquet:"start_ms,optional"`
	EndMs      *int64            `parquet:"end_ms,optional"`
	Level      *string           `parquet:"level,optional,dict"`
	Attrs      map[string]string `parquet:"attrs"`
}

func nullable(s *string) *string {
	if *s == "" {
		return nil
	}
	return s
}

func toRow(e *pipeline.Entry) Row {
	r := Row{
		ID:         e.ID,
		Kind:       e.Kind,
		Source:     e.Source,
		Origin:     e.Origin,
		Title:      nullable(&e.Title),
		URL:        nullable(&e.URL),
		Authors:    e.Authors,
		Published:  e.Published.UnixMicro(),
		Ingested:   e.Ingested.UnixMicro(),
		Text:       e.Text,
		Lang:       nullable(&e.Lang),
		Words:      e.Words,
		Categories: e.Categories,
		Tags:       e.Tags,
		Level:      nullable(&e.Level),
		Attrs:      e.AttrMap(),
	}
	if e.Timing != nil {
		r.StartMs, r.EndMs = &e.Timing.StartMs, &e.Timing.EndMs
	}
	return r
}

// tmpSuffix marks files being written; it does not end in .parquet, so no
// reader's glob ever sees a half-written file.
const tmpSuffix = ".parquet.tmp"

// partFile is one open archive file of a partition.
type partFile struct {
	key    partKey
	dir    string
	tmp    string
	f      *os.File
	out    *countingWriter
	w      *parquet.GenericWriter[Row]
	opened time.Time
	rows   int64
	ids    idSet // id hashes written here; merged into the day's set on commit

	mu       sync.Mutex
	minSeq   uint64
	maxSeq   uint64
	dones    []func(error)
	finished bool
	result   error
}

func createPart(dir string, k partKey, opts Options) (*partFile, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, ".part-*"+tmpSuffix)
	if err != nil {
		return nil, err
	}
	out := &countingWriter{w: f}
	w := parquet.NewGenericWriter[Row](out,
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}),
		parquet.MaxRowsPerRowGroup(opts.RowGroupRows),
		parquet.CreatedBy("recap", "", ""),
	)
	return &partFile{key: k, dir: dir, tmp: f.Name(), f: f, out: out, w: w, opened: time.Now()}, nil
}

func (pf *partFile) write(rows []Row) error {
	n, err := pf.w.Write(rows)
	pf.rows += int64(n)
	return err
}

// note records that a chunk (by stream sequence) is held by this file and must
// be acked when it commits. A file that already finished reports at once.
func (pf *partFile) note(seq uint64, done func(error)) {
	pf.mu.Lock()
	if pf.finished {
		err := pf.result
		pf.mu.Unlock()
		done(err)
		return
	}
	if pf.minSeq == 0 || seq < pf.minSeq {
		pf.minSeq = seq
	}
	pf.maxSeq = max(pf.maxSeq, seq)
	pf.dones = append(pf.dones, done)
	pf.mu.Unlock()
}

func (pf *partFile) full(opts Options) bool {
	return pf.rows >= opts.MaxRows || pf.out.n >= int64(opts.MaxBytes)
}

// commit closes the file, fsyncs it and moves it into place under its
// sequence-range name without overwriting anything. It returns the final path.
func (pf *partFile) commit() (string, int64, error) {
	if err := pf.w.Close(); err != nil {
		pf.discardFile()
		return "", 0, err
	}
	if pf.rows == 0 {
		pf.discardFile() // every entry was a duplicate: nothing to archive
		return "", 0, nil
	}
	if err := pf.f.Sync(); err != nil {
		pf.discardFile()
		return "", 0, err
	}
	if err := pf.f.Close(); err != nil {
		os.Remove(pf.tmp)
		return "", 0, err
	}
	pf.mu.Lock()
	name := fmt.Sprintf("part-%012d-%012d", pf.minSeq, pf.maxSeq)
	pf.mu.Unlock()
	final, err := placeNoClobber(pf.tmp, filepath.Join(pf.dir, name))
	if err != nil {
		os.Remove(pf.tmp)
		return "", 0, err
	}
	if err := syncDir(pf.dir); err != nil {
		return "", 0, err
	}
	return final, pf.rows, nil
}

// placeNoClobber links tmp to base.parquet (or base-1.parquet, … if another
// writer got there first) and removes tmp.
func placeNoClobber(tmp, base string) (string, error) {
	for i := 0; i < 100; i++ {
		final := base + ".parquet"
		if i > 0 {
			final = fmt.Sprintf("%s-%d.parquet", base, i)
		}
		err := os.Link(tmp, final)
		if err == nil {
			return final, os.Remove(tmp)
		}
		if !errors.Is(err, os.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("no free file name for %s", base)
}

func (pf *partFile) discardFile() {
	pf.f.Close()
	os.Remove(pf.tmp)
}

// discard drops an open file after a write error.
func (pf *partFile) discard(err error) {
	pf.w.Close()
	pf.discardFile()
	pf.finish(err)
}

// finish reports the outcome to every chunk the file holds.
func (pf *partFile) finish(err error) {
	pf.mu.Lock()
	pf.finished, pf.result = true, err
	dones := pf.dones
	pf.dones = nil
	pf.mu.Unlock()
	for _, d := range dones {
		d(err)
	}
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// readIDs calls fn with every id in an archive file, reading only that column.
func readIDs(path string, fn func(string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := parquet.NewGenericReader[struct {
		ID string `parquet:"id"`
	}](f)
	defer r.Close()
	buf := make([]struct {
		ID string `parquet:"id"`
	}, 4096)
	for {
		n, err := r.Read(buf)
		for _, v := range buf[:n] {
			fn(v.ID)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
