package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"
)

// ChunkPublisher stores one chunk in JetStream under a message id and reports
// the outcome on the returned channel (nil: stored, or a duplicate of a stored one).
type ChunkPublisher interface {
	PublishChunk(subject, id string, data []byte) <-chan error
}

// BufferConfig sizes one source's buffer.
type BufferConfig struct {
	ChunkBytes    int
	FlushInterval time.Duration
	MemLimit      int64
	DiskLimit     int64
	Dir           string // disk tier; empty disables it
	Window        int    // chunks published concurrently
	PublishWait   time.Duration
}

// Buffer is one source's chunk buffer (the Emitter a source writes to): entries
// are encoded into an open chunk, sealed by size, age or a change of kind or
// UTC day, and published in order as one JetStream message each. Sealed chunks
// wait in memory up to MemLimit, then in segment files up to DiskLimit; beyond
// that Emit blocks, which pauses the source until space frees. Marks run once
// their chunk, and every chunk before it, is stored.
type Buffer struct {
	source string
	tags   []string
	cfg    BufferConfig
	pub    ChunkPublisher
	env    *Env

	mu        sync.Mutex
	enc       *ChunkEncoder
	openKind  string
	openDay   int64
	openIDs   []byte // ids of the open chunk's entries, hashed into its chunk id at seal
	openMarks []func()
	openSince time.Time
	queue     []*sealedChunk // FIFO; the first `inflight` are being published
	memBytes  int64
	diskBytes int64
	disk      *diskQueue
	space     chan struct{} // closed and replaced whenever space frees or the queue changes
	stopping  bool
	stop      chan struct{} // closed by Stop
	stopOnce  sync.Once
	pubDone   chan struct{}
	maxEntry  int
	emitted   interface{ Inc() }
}

type sealedChunk struct {
	subject, id string
	data        []byte // nil while on disk
	rec         diskRecord
	onDisk      bool
	size        int64
	count       int
	marks       []func()
}

var errStopped = errors.New("buffer stopped")

// NewBuffer creates the buffer of source, recovering chunks left on disk by a
// previous run; they are published first.
func NewBuffer(env *Env, tags []string, cfg BufferConfig, pub ChunkPublisher) (*Buffer, error) {
	b := &Buffer{
		source:   env.Name,
		tags:     tags[:len(tags):len(tags)],
		cfg:      cfg,
		pub:      pub,
		env:      env,
		enc:      NewChunkEncoder("", env.Name, cfg.ChunkBytes+cfg.ChunkBytes/4),
		space:    make(chan struct{}),
		stop:     make(chan struct{}),
		pubDone:  make(chan struct{}),
		maxEntry: cfg.ChunkBytes,
		emitted:  env.Report.Emitted.WithLabelValues(env.Name),
	}
	if cfg.Dir != "" && cfg.DiskLimit > 0 {
		q, recs, rep, err := openDiskQueue(cfg.Dir, true)
		if err != nil {
			return nil, fmt.Errorf("disk buffer %s: %w", cfg.Dir, err)
		}
		b.disk = q
		if rep.TornBytes > 0 {
			env.Fail("buffer_recovery", fmt.Errorf("disk buffer: cut %d bytes of an incomplete record left by a crash", rep.TornBytes))
		}
		for _, p := range rep.MovedAside {
			env.Fail("buffer_recovery", fmt.Errorf("disk buffer: corrupt segment moved aside to %s after recovering its valid records", p))
		}
		for _, r := range recs {
			b.queue = append(b.queue, &sealedChunk{subject: r.subject, id: r.id, rec: r.rec, onDisk: true, size: r.rec.len})
			b.diskBytes += r.rec.len
		}
		if len(recs) > 0 {
			env.Log.Info("recovered buffered chunks", "source", env.Name, "chunks", len(recs), "bytes", b.diskBytes)
		}
	}
	b.gauges()
	return b, nil
}

// Start runs the publisher until Stop.
func (b *Buffer) Start(ctx context.Context) {
	go b.publishLoop(ctx)
	go b.flushLoop(ctx)
}

// Emit adds an entry; see Emitter.
func (b *Buffer) Emit(ctx context.Context, e *Entry, mark func()) error {
	b.mu.Lock()
	for b.full() {
		if err := b.waitSpace(ctx); err != nil {
			return err // b.mu is released
		}
	}
	if b.stopping {
		b.mu.Unlock()
		return errStopped
	}
	b.prepare(e)
	day := e.Ingested.Unix() / 86400
	if b.enc.Count() > 0 && (e.Kind != b.openKind || day != b.openDay) {
		b.seal()
	}
	if b.enc.Count() == 0 {
		b.enc.Reset(e.Kind, b.source)
		b.openKind, b.openDay, b.openSince = e.Kind, day, time.Now()
	}
	before := b.enc.mark()
	b.enc.Add(e)
	if b.enc.Len()-before.n > b.maxEntry {
		b.enc.undo(before)
		b.shrink(e)
		b.enc.Add(e)
	}
	if b.enc.Len() > b.cfg.ChunkBytes && b.enc.Count() > 1 {
		// This entry overflows the chunk: seal what came before and start anew with it.
		b.enc.undo(before)
		b.seal()
		b.enc.Reset(e.Kind, b.source)
		b.openKind, b.openDay, b.openSince = e.Kind, day, time.Now()
		b.enc.Add(e)
	}
	b.openIDs = append(append(b.openIDs, e.ID...), 0)
	if mark != nil {
		b.openMarks = append(b.openMarks, mark)
	}
	if b.enc.Len() >= b.cfg.ChunkBytes {
		b.seal()
	}
	b.mu.Unlock()
	b.emitted.Inc()
	return nil
}

// prepare fills what the pipeline owns: source, ingestion time, static tags.
func (b *Buffer) prepare(e *Entry) {
	e.Source = b.source
	if e.Ingested.IsZero() {
		e.Ingested = time.Now().UTC()
	}
	if e.Published.IsZero() {
		e.Published = e.Ingested
	}
	if len(e.Tags) == 0 {
		e.Tags = b.tags // shared, capacity-clipped: no allocation per entry
		return
	}
	for _, t := range b.tags {
		e.AddTag(t)
	}
}

// shrink cuts an entry that alone exceeds a chunk: its text is truncated (at a
// UTF-8 boundary) and marked, and the cut is reported rather than the entry dropped.
func (b *Buffer) shrink(e *Entry) {
	over := len(e.Text) - (b.maxEntry - 64<<10)
	cut := len(e.Text) - max(over, 0)
	for cut > 0 && !utf8.RuneStart(e.Text[cut]) {
		cut--
	}
	b.env.Fail("entry_too_large", fmt.Errorf("entry %s: text of %d bytes truncated to %d to fit a chunk", e.ID, len(e.Text), cut))
	e.Text = e.Text[:cut]
	e.SetAttr("truncated", "true")
}

// full reports whether the sealed chunks already fill both tiers.
func (b *Buffer) full() bool {
	if b.stopping {
		return false
	}
	if b.memBytes < b.cfg.MemLimit {
		return false
	}
	return b.disk == nil || b.diskBytes+int64(b.cfg.ChunkBytes) > b.cfg.DiskLimit
}

// waitSpace blocks (with b.mu released) until space may have freed. On error it
// returns with b.mu unlocked; otherwise locked.
func (b *Buffer) waitSpace(ctx context.Context) error {
	ch := b.space
	b.env.Report.Paused.WithLabelValues(b.source).Set(1)
	b.mu.Unlock()
	defer b.env.Report.Paused.WithLabelValues(b.source).Set(0)
	select {
	case <-ch:
		b.mu.Lock()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *Buffer) notify() {
	close(b.space)
	b.space = make(chan struct{})
}

// seal closes the open chunk and queues it: in memory while under MemLimit, else
// on disk while under DiskLimit, else in memory anyway — Emit then blocks, so the
// overshoot is at most one chunk.
func (b *Buffer) seal() {
	if b.enc.Count() == 0 {
		return
	}
	data := CompressChunk(nil, b.enc.Bytes())
	sum := sha256.Sum256(b.openIDs)
	c := &sealedChunk{
		subject: SubjectRaw + "." + b.openKind + "." + b.source,
		id:      b.source + "-" + hex.EncodeToString(sum[:16]),
		data:    data,
		size:    int64(len(data)),
		count:   b.enc.Count(),
		marks:   b.openMarks,
	}
	b.openIDs = b.openIDs[:0]
	b.openMarks = nil
	b.enc.Reset(b.openKind, b.source)
	if b.memBytes+c.size > b.cfg.MemLimit && b.disk != nil && b.diskBytes+c.size <= b.cfg.DiskLimit {
		if rec, err := b.disk.append(c.subject, c.id, c.data); err != nil {
			b.env.Fail("buffer_disk", fmt.Errorf("spill chunk to disk: %w (kept in memory; the source pauses)", err))
		} else {
			c.rec, c.onDisk, c.data = rec, true, nil
		}
	}
	if c.onDisk {
		b.diskBytes += c.size
	} else {
		b.memBytes += c.size
	}
	b.queue = append(b.queue, c)
	b.gauges()
	b.notify()
}

func (b *Buffer) gauges() {
	b.env.Report.BufferBytes.WithLabelValues(b.source, "memory").Set(float64(b.memBytes))
	b.env.Report.BufferBytes.WithLabelValues(b.source, "disk").Set(float64(b.diskBytes))
}

// flushLoop seals a chunk that has been open for FlushInterval.
func (b *Buffer) flushLoop(ctx context.Context) {
	t := time.NewTicker(b.cfg.FlushInterval / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.pubDone:
			return
		case <-t.C:
			b.mu.Lock()
			if b.enc.Count() > 0 && time.Since(b.openSince) >= b.cfg.FlushInterval {
				b.seal()
			}
			b.mu.Unlock()
		}
	}
}

// Flush seals the open chunk now.
func (b *Buffer) Flush() {
	b.mu.Lock()
	b.seal()
	b.mu.Unlock()
}

// publishLoop publishes queued chunks in order, up to Window at a time, and
// completes them strictly in order so marks keep their meaning. On failure it
// backs off with jitter and republishes from the oldest unfinished chunk (the
// deterministic chunk ids make JetStream drop any that had been stored).
func (b *Buffer) publishLoop(ctx context.Context) {
	defer close(b.pubDone)
	backoff := Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second}
	type flight struct {
		c   *sealedChunk
		res <-chan error
	}
	var inflight []flight
	failing := false
	for {
		b.mu.Lock()
		if b.stopping {
			b.mu.Unlock()
			return
		}
		for len(inflight) < b.cfg.Window && len(inflight) < len(b.queue) {
			c := b.queue[len(inflight)]
			data := c.data
			if c.onDisk {
				var err error
				if data, err = c.rec.read(); err != nil {
					b.env.Fail("buffer_disk", err)
					break
				}
			}
			inflight = append(inflight, flight{c, b.pub.PublishChunk(c.subject, c.id, data)})
		}
		if len(inflight) == 0 {
			ch := b.space
			b.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return
			}
			continue
		}
		b.mu.Unlock()

		var err error
		select {
		case err = <-inflight[0].res:
		case <-ctx.Done():
			return
		case <-b.stop:
			return
		}
		if err != nil {
			if !failing {
				b.env.Fail("publish", fmt.Errorf("publish chunk to JetStream: %w (buffering and retrying)", err))
				failing = true
			}
			// Let the rest of the window finish, then start over from the oldest.
			for _, f := range inflight[1:] {
				select {
				case <-f.res:
				case <-ctx.Done():
					return
				case <-b.stop:
					return
				}
			}
			inflight = inflight[:0]
			if !backoff.Wait(ctx, b.stop) {
				return
			}
			continue
		}
		if failing {
			b.env.Log.Info("publishing again", "source", b.source)
			failing = false
		}
		backoff.Reset()
		done := inflight[0].c
		inflight = inflight[1:]
		b.complete(done)
	}
}

// complete removes a stored chunk from the queue, frees its space and runs its marks.
func (b *Buffer) complete(c *sealedChunk) {
	b.mu.Lock()
	b.queue = b.queue[1:]
	if c.onDisk {
		b.diskBytes -= c.size
		b.disk.done(c.rec)
	} else {
		b.memBytes -= c.size
	}
	b.gauges()
	b.notify()
	b.mu.Unlock()
	b.env.Report.Published.WithLabelValues(b.source).Inc()
	for _, m := range c.marks {
		m()
	}
}

// Drain seals the open chunk and waits until every queued chunk is stored or ctx ends.
func (b *Buffer) Drain(ctx context.Context) error {
	b.Flush()
	for {
		b.mu.Lock()
		n, ch := len(b.queue), b.space
		b.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("source %s: %d chunks not yet stored: %w", b.source, n, ctx.Err())
		}
	}
}

// Stop ends publishing. Chunks still in memory are written to the disk tier
// (beyond DiskLimit if need be: losing them would be worse) so the next start
// publishes them; only when that fails are they reported as lost.
func (b *Buffer) Stop() { b.stopOnce.Do(b.stopNow) }

func (b *Buffer) stopNow() {
	b.mu.Lock()
	b.seal()
	b.stopping = true
	b.notify()
	b.mu.Unlock()
	close(b.stop)
	<-b.pubDone
	b.mu.Lock()
	defer b.mu.Unlock()
	var lost int
	for _, c := range b.queue {
		if c.onDisk {
			continue
		}
		if b.disk == nil {
			lost += c.count
			continue
		}
		if _, err := b.disk.append(c.subject, c.id, c.data); err != nil {
			b.env.Fail("buffer_disk", fmt.Errorf("save chunk at shutdown: %w", err))
			lost += c.count
		}
	}
	if lost > 0 {
		b.env.Fail("buffer_lost", fmt.Errorf("%d entries were not stored before shutdown; their source re-reads them from its last checkpoint where it can", lost))
	}
	if b.disk != nil {
		b.disk.close()
	}
}
