// Package tail is the "tail" source: log files matched by globs, read from the
// start of a new file, one entry per line (json, logfmt or plain text). Offsets
// are checkpointed in the state store only after the chunk holding the lines is
// stored in JetStream, and entry ids come from the file's identity and the
// line's byte offset, so a re-read after a crash yields the same ids and the
// archive keeps every line exactly once.
package tail

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/recap-dev/recap/config"
	"github.com/recap-dev/recap/pipeline"
)

func init() { pipeline.RegisterSource("tail", New) }

// Options are the tail source's configuration keys.
type Options struct {
	Paths        []string        `yaml:"paths,required"`
	Format       string          `yaml:"format"`
	PollInterval config.Duration `yaml:"poll_interval"`
	MaxLineBytes config.Size     `yaml:"max_line_bytes"`
}

// Source follows a set of log files.
type Source struct {
	env  *pipeline.Env
	opts Options
}

// New checks the options.
func New(env *pipeline.Env) (pipeline.Source, error) {
	opts := Options{Format: "text", PollInterval: config.Duration(250 * time.Millisecond), MaxLineBytes: 1 << 20}
	errs := config.ErrorsOf(env.Options.Decode(&opts))
	switch opts.Format {
	case "json", "text", "logfmt":
	default:
		errs = append(errs, env.Options.Errorf("format", "must be json, text or logfmt, got %q", opts.Format))
	}
	for i, p := range opts.Paths {
		if _, err := filepath.Match(p, ""); err != nil {
			errs = append(errs, env.Options.Errorf("paths", "paths[%d] %q: %v", i, p, err))
		}
	}
	if opts.PollInterval.D() < 10*time.Millisecond {
		errs = append(errs, env.Options.Errorf("poll_interval", "must be at least 10ms"))
	}
	if opts.MaxLineBytes < 1<<10 || opts.MaxLineBytes > 4<<20 {
		errs = append(errs, env.Options.Errorf("max_line_bytes", "must be between 1KiB and 4MiB"))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return &Source{env: env, opts: opts}, nil
}

// position is one file's checkpoint as kept in the state store.
type position struct {
	Path       string `json:"path"`
	Identity   string `json:"identity"`
	Generation int    `json:"generation,omitempty"` // bumped when the file was truncated
	Offset     int64  `json:"offset"`
}

// tracked is a file being read.
type tracked struct {
	pos      position
	key      string // state key
	idPrefix []byte // source \0 identity \0: the fixed part of every line's id
	f        *os.File
	r        *bufio.Reader
	readAt   int64 // offset of the reader's next byte

	mu      sync.Mutex // guards pos and lastPut: marks run on the buffer's goroutine
	lastPut time.Time
}

// Run reads every matched file: to its end once with --once, else following
// new lines and new files until ctx ends.
func (s *Source) Run(ctx context.Context, emit pipeline.Emitter) error {
	files := map[string]*tracked{}
	defer func() {
		for _, t := range files {
			if t.f != nil {
				t.f.Close()
			}
		}
	}()
	r := &reader{src: s, parser: lineParser{format: s.opts.Format}, buf: make([]byte, 0, 4096)}
	for {
		progress, err := s.scan(ctx, files, r, emit)
		if err != nil {
			return err
		}
		if s.env.Once {
			return nil
		}
		if !progress {
			t := time.NewTimer(s.opts.PollInterval.D())
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
	}
}

// scan globs the paths, starts tracking new files and reads what each has.
func (s *Source) scan(ctx context.Context, files map[string]*tracked, r *reader, emit pipeline.Emitter) (bool, error) {
	var paths []string
	for _, p := range s.opts.Paths {
		m, _ := filepath.Glob(s.env.Path(p))
		paths = append(paths, m...)
	}
	sort.Strings(paths)
	present := map[string]bool{}
	progress := false
	for _, path := range paths {
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		id := fileIdentity(path, fi)
		present[id] = true
		t := files[id]
		if t == nil {
			if t, err = s.track(ctx, path, id); err != nil {
				s.env.Fail("state", fmt.Errorf("%s: %w", path, err))
				continue
			}
			files[id] = t
		}
		if fi.Size() < t.readAt {
			s.truncated(t)
		}
		if fi.Size() == t.readAt {
			continue
		}
		n, err := r.readFile(ctx, t, emit)
		if err != nil {
			if ctx.Err() != nil {
				return progress, nil
			}
			if errors.Is(err, errEmit) {
				return progress, err
			}
			s.env.Fail("read", fmt.Errorf("%s: %w", path, err))
		}
		progress = progress || n > 0
	}
	for id, t := range files {
		if !present[id] {
			if t.f != nil {
				t.f.Close()
			}
			delete(files, id)
		}
	}
	return progress, nil
}

// track starts following a file from its checkpoint, or from the beginning.
func (s *Source) track(ctx context.Context, path, identity string) (*tracked, error) {
	sum := sha256.Sum256([]byte(identity))
	t := &tracked{key: "file." + hex.EncodeToString(sum[:12]), pos: position{Path: path, Identity: identity}}
	if _, err := pipeline.GetJSON(ctx, s.env.State, t.key, &t.pos); errors.Is(err, pipeline.ErrBadState) {
		s.env.Fail("state", fmt.Errorf("%s: %w; reading from the start", path, err))
		t.pos = position{Identity: identity}
	} else if err != nil {
		return nil, err
	}
	t.pos.Path = path
	t.readAt = t.pos.Offset
	t.setPrefix(s.env.Name)
	return t, nil
}

// setPrefix prepares the id prefix: ids are pipeline.StableID(source, identity, offset).
func (t *tracked) setPrefix(source string) {
	ident := t.pos.Identity
	if t.pos.Generation > 0 {
		ident += "#" + strconv.Itoa(t.pos.Generation)
	}
	p := make([]byte, 0, len(source)+len(ident)+2)
	p = append(append(append(append(p, source...), 0), ident...), 0)
	t.idPrefix = p[:len(p):len(p)] // appending an offset must not share one array between files
}

// truncated restarts a file that shrank (copytruncate): a new generation keeps
// the new lines' ids apart from the old lines at the same offsets.
func (s *Source) truncated(t *tracked) {
	s.env.Log.Warn("file truncated, reading it again from the start", "path", t.pos.Path)
	t.mu.Lock()
	t.pos.Generation++
	t.pos.Offset = 0
	t.mu.Unlock()
	t.readAt = 0
	t.setPrefix(s.env.Name)
	if t.f != nil {
		t.f.Close()
		t.f, t.r = nil, nil
	}
}

// commit is a chunk mark: lines up to offset are stored. The state store is
// written at most twice a second per file, and always at the end of a read,
// so a restart re-reads little and never skips.
func (s *Source) commit(ctx context.Context, t *tracked, offset int64, final bool) {
	t.mu.Lock()
	if !final && time.Since(t.lastPut) < 500*time.Millisecond {
		t.mu.Unlock()
		return
	}
	t.lastPut = time.Now()
	pos := t.pos
	pos.Offset = offset
	t.mu.Unlock()
	if err := pipeline.PutJSON(context.WithoutCancel(ctx), s.env.State, t.key, pos); err != nil {
		s.env.Fail("state", fmt.Errorf("%s: save offset: %w (lines may be read again, never duplicated in the archive)", pos.Path, err))
	}
}

var errEmit = errors.New("emit")

// reader turns a file's new bytes into entries; one per source, reused.
type reader struct {
	src    *Source
	parser lineParser
	entry  pipeline.Entry
	buf    []byte // a line longer than the bufio buffer is assembled here
	id     [32]byte
	idBuf  []byte
}

// marksEvery bounds how many lines share one checkpoint mark.
const marksEvery = 4096

// readFile reads complete lines from t's offset to the current end (and, with
// --once, a last line without newline) and emits them.
func (r *reader) readFile(ctx context.Context, t *tracked, emit pipeline.Emitter) (int, error) {
	if t.f == nil {
		f, err := os.Open(t.pos.Path)
		if err != nil {
			return 0, err
		}
		if _, err := f.Seek(t.readAt, io.SeekStart); err != nil {
			f.Close()
			return 0, err
		}
		t.f, t.r = f, bufio.NewReaderSize(f, 256<<10)
	}
	maxLine := int(r.src.opts.MaxLineBytes)
	lines := 0
	for {
		line, n, err := r.readLine(t.r, maxLine)
		if n > 0 && (err == nil || r.src.env.Once && errors.Is(err, io.EOF)) {
			start := t.readAt
			t.readAt += int64(n)
			lines++
			final := err != nil || t.r.Buffered() == 0 && r.atEOF(t)
			if e := r.emitLine(ctx, t, start, line, n > len(line)+2, emit, lines%marksEvery == 0 || final, final); e != nil {
				return lines, e
			}
			if err == nil {
				continue
			}
		}
		if errors.Is(err, io.EOF) {
			if n > 0 && !r.src.env.Once {
				// A partial last line: unread it and wait for its newline.
				if _, serr := t.f.Seek(t.readAt, io.SeekStart); serr != nil {
					return lines, serr
				}
				t.r.Reset(t.f)
			}
			return lines, nil
		}
		if err != nil {
			return lines, err
		}
	}
}

// atEOF reports whether nothing more is in the file right now.
func (r *reader) atEOF(t *tracked) bool {
	fi, err := t.f.Stat()
	return err == nil && fi.Size() <= t.readAt
}

// readLine returns the next line and the bytes it took in the file (line
// ending included). A line longer than maxLine is cut to its first maxLine
// bytes while the rest is consumed, so one runaway line cannot exhaust memory.
func (r *reader) readLine(br *bufio.Reader, maxLine int) ([]byte, int, error) {
	line, err := br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return trimEOL(line), len(line), err
	}
	r.buf = append(r.buf[:0], line[:min(len(line), maxLine)]...)
	n := len(line)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = br.ReadSlice('\n')
		n += len(line)
		if len(r.buf) < maxLine {
			r.buf = append(r.buf, line[:min(len(line), maxLine-len(r.buf))]...)
		}
	}
	if n > maxLine {
		r.src.env.Fail("line_too_long", fmt.Errorf("a line of %d bytes was cut to max_line_bytes (%d)", n, maxLine))
		return r.buf, n, err
	}
	return trimEOL(r.buf), n, err
}

func trimEOL(line []byte) []byte {
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	return line
}

func (r *reader) emitLine(ctx context.Context, t *tracked, offset int64, text []byte, cut bool, emit pipeline.Emitter, withMark, final bool) error {
	if len(text) == 0 {
		return nil // blank lines carry nothing; the next line's mark moves the offset past them
	}
	var mark func()
	if withMark {
		end := t.readAt
		mark = func() { r.src.commit(ctx, t, end, final) }
	}
	e := &r.entry
	*e = pipeline.Entry{Kind: pipeline.KindLog, Origin: t.pos.Path}
	if !r.parser.parse(text, e) {
		r.src.env.Fail("parse", fmt.Errorf("%s at byte %d: not a %s log line; kept as plain text", t.pos.Path, offset, r.src.opts.Format))
	}
	if cut {
		e.Attrs = append(e.Attrs, pipeline.Attr{Key: "truncated", Value: "true"})
	}
	r.idBuf = strconv.AppendInt(append(r.idBuf[:0], t.idPrefix...), offset, 10)
	sum := sha256.Sum256(r.idBuf)
	hex.Encode(r.id[:], sum[:16])
	e.ID = b2s(r.id[:])
	if err := emit.Emit(ctx, e, mark); err != nil {
		return fmt.Errorf("%w: %v", errEmit, err)
	}
	return nil
}
