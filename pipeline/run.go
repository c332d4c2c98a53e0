package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/recap-dev/recap/config"
)

// Options are how the CLI runs a pipeline.
type Options struct {
	Once bool // poll and read everything once, drain every stage and sink, return
	Log  *slog.Logger
}

// Summary is what a run reports at the end (printed by `recap run --once`).
type Summary struct {
	Errors []string        // "component/reason: count"
	Recent []ReportedError // the latest errors, naming failed feeds and files
}

// drainTimeout bounds how long a stopping daemon tries to publish buffered
// chunks before it saves them to the disk tier instead.
const drainTimeout = 10 * time.Second

// graph is a configuration turned into components, before anything runs.
type graph struct {
	sources []built[Source]
	stages  []built[Stage]
	sinks   []built[Sink]
}

// built is a constructed component with its environment and configuration.
type built[T any] struct {
	env  *Env
	it   T
	conf config.Component
}

// Pipeline is a configuration built into its components, ready to run.
type Pipeline struct {
	Config *config.Config
	opts   Options
	rep    *Reporter
	g      *graph
}

// Load reads a configuration file and checks it whole: its structure and
// every component's options, by building the components without starting
// anything. The error lists every problem found, as config.Errors.
func Load(file string, opts Options) (*Pipeline, error) {
	cfg, err := config.Load(file)
	if cfg == nil {
		return nil, err
	}
	p, berr := Build(cfg, opts)
	if all := append(config.ErrorsOf(err), config.ErrorsOf(berr)...); len(all) > 0 {
		return nil, all
	}
	return p, nil
}

// Build builds the components of a configuration.
func Build(cfg *config.Config, opts Options) (*Pipeline, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	rep := NewReporter(opts.Log)
	g, err := build(cfg, opts, rep)
	if err != nil {
		return nil, err
	}
	return &Pipeline{Config: cfg, opts: opts, rep: rep, g: g}, nil
}

// Run builds a configuration and runs it (see Pipeline.Run).
func Run(ctx context.Context, cfg *config.Config, opts Options) (*Summary, error) {
	p, err := Build(cfg, opts)
	if err != nil {
		return nil, err
	}
	return p.Run(ctx)
}

func build(cfg *config.Config, opts Options, rep *Reporter) (*graph, error) {
	b := &builder{cfg: cfg, opts: opts, rep: rep}
	g := &graph{
		sources: construct(b, "sources", cfg.Sources, registry.sources),
		stages:  construct(b, "stages", cfg.Stages, registry.stages),
		sinks:   construct(b, "sinks", cfg.Sinks, registry.sinks),
	}
	for i, c := range cfg.Sources {
		_, errs := staticTags(cfg, fmt.Sprintf("sources[%d].tags", i), c)
		b.errs = append(b.errs, errs...)
	}
	return g, b.errs.Err()
}

// builder collects what constructing the components of one configuration finds.
type builder struct {
	cfg  *config.Config
	opts Options
	rep  *Reporter
	errs config.Errors
}

// construct builds every component of one list with its registered factory,
// collecting every error rather than stopping at the first.
func construct[T any](b *builder, list string, cs []config.Component, factories map[string]func(*Env) (T, error)) []built[T] {
	var out []built[T]
	for i, c := range cs {
		if c.Type == "" {
			continue // reported by config
		}
		f, known, ok := lookupFactory(factories, c.Type)
		if !ok {
			b.errs = append(b.errs, &config.Error{File: b.cfg.File, Line: c.Options.Line(), Path: fmt.Sprintf("%s[%d].type", list, i),
				Msg: fmt.Sprintf("unknown type %q (known: %v)", c.Type, known)})
			continue
		}
		name := cmp.Or(c.Name, fmt.Sprintf("%s-%d-%s", list, i, c.Type))
		env := &Env{Name: name, Type: c.Type, Options: c.Options, Config: b.cfg, Once: b.opts.Once,
			Log: b.opts.Log.With("component", name), Report: b.rep}
		it, err := f(env)
		for _, e := range config.ErrorsOf(err) {
			if e.File == "" {
				e.File = b.cfg.File
			}
			b.errs = append(b.errs, e)
		}
		if err == nil {
			out = append(out, built[T]{env, it, c})
		}
	}
	return out
}

// staticTags normalises a source's tags; those that are not usable are errors.
func staticTags(cfg *config.Config, path string, c config.Component) ([]string, config.Errors) {
	var tags []string
	var errs config.Errors
	for _, t := range c.Tags {
		if n := NormalizeTag(t); n != "" {
			tags = append(tags, n)
		} else {
			errs = append(errs, &config.Error{File: cfg.File, Line: c.Options.Line(), Path: path, Msg: fmt.Sprintf("%q is not usable as a tag", t)})
		}
	}
	return tags, errs
}

// Run is the whole of recap, its components built: start NATS → ensure
// streams → start sink and stage consumers → run sources into chunk buffers →
// wait for the end (ctx cancelled by a signal, or every input read once) →
// drain → stop. A Pipeline runs once.
func (p *Pipeline) Run(ctx context.Context) (*Summary, error) {
	cfg, opts, rep, g := p.Config, p.opts, p.rep, p.g
	limitMemory(cfg, opts.Log)
	n, err := StartNATS(ctx, cfg, opts.Log)
	if err != nil {
		return nil, err
	}
	defer n.Close()
	if err := n.EnsureStreams(ctx, cfg.NATS.Replicas); err != nil {
		return nil, err
	}
	kv, err := n.StateStore(ctx, cfg.NATS.Replicas)
	if err != nil {
		return nil, err
	}
	stopHTTP, err := serveHTTP(cfg.HTTP.Listen, rep, n)
	if err != nil {
		return nil, err
	}
	defer stopHTTP()

	// Consumers exist before the first publish: with interest retention a chunk
	// published while no consumer exists would be dropped.
	stageList := make([]Stage, len(g.stages))
	for i, st := range g.stages {
		stageList[i] = st.it
	}
	stages := &stageRunner{js: n.JS, stages: stageList, report: rep, workers: max(1, runtime.GOMAXPROCS(0)), attempts: maxStageAttempts,
		deadDir: filepath.Join(cfg.Path(cfg.DataDir), "dead")}
	if err := stages.consumer(ctx); err != nil {
		return nil, fmt.Errorf("stage consumer: %w", err)
	}
	sinks := make([]*sinkRunner, len(g.sinks))
	for i, s := range g.sinks {
		s.env.JS = n.JS
		sinks[i] = &sinkRunner{name: s.env.Name, js: n.JS, sink: s.it, report: rep}
		if err := sinks[i].consumer(ctx); err != nil {
			return nil, fmt.Errorf("sink %s consumer: %w", s.env.Name, err)
		}
	}
	warnOrphanSinkConsumers(ctx, n.JS, sinks, opts.Log)

	// Workers (stages, sinks) outlive the sources so they can drain after them.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var workers sync.WaitGroup
	workers.Go(func() { stages.run(workCtx) })
	for _, s := range sinks {
		workers.Go(func() { s.run(workCtx) })
	}

	buffers, err := startSources(workCtx, g.sources, cfg, n, kv, rep)
	if err != nil {
		return nil, err
	}
	var sourcesDone sync.WaitGroup
	for i, s := range g.sources {
		sourcesDone.Go(func() { runSource(ctx, s, buffers[i], opts.Once) })
	}

	if opts.Once {
		err = drainOnce(ctx, &sourcesDone, buffers, stages, sinks)
	}
	stopping := !opts.Once || ctx.Err() != nil
	if stopping {
		<-ctx.Done() // a signal
		opts.Log.Info("stopping: closing inputs, publishing buffered chunks, committing sinks")
		sourcesDone.Wait()
		err = errors.Join(err, stopDaemon(buffers, sinks))
	}
	stopWork()
	workers.Wait()
	for _, s := range g.sinks {
		if cerr := s.it.Close(context.WithoutCancel(ctx)); cerr != nil {
			rep.Fail(s.env.Name, "close", cerr)
		}
	}
	if stopping {
		opts.Log.Info("stopped")
	}
	return &Summary{Errors: rep.Summary(), Recent: rep.Recent()}, err
}

func startSources(workCtx context.Context, sources []built[Source], cfg *config.Config, n *NATS, kv jetstream.KeyValue, rep *Reporter) ([]*Buffer, error) {
	chunkBytes := int(cfg.Buffer.ChunkBytes)
	// An external server may allow less than the configured chunk; leave room for headers.
	if limit := int(n.Conn.MaxPayload()) - 64<<10; chunkBytes > limit {
		rep.log.Warn("buffer.chunk_bytes exceeds the NATS server's max_payload; using the server's limit", "chunk_bytes", chunkBytes, "limit", limit)
		chunkBytes = limit
	}
	buffers := make([]*Buffer, len(sources))
	for i, s := range sources {
		s.env.JS = n.JS
		s.env.State = kvState{kv: kv, prefix: "source." + s.env.Name + "."}
		tags, _ := staticTags(cfg, "", s.conf) // validated by build
		b, err := NewBuffer(s.env, tags, BufferConfig{
			ChunkBytes:    chunkBytes,
			FlushInterval: cfg.Buffer.FlushInterval.D(),
			MemLimit:      int64(cfg.Buffer.MemLimit),
			DiskLimit:     int64(cfg.Buffer.DiskLimit),
			Dir:           filepath.Join(cfg.Path(cfg.DataDir), "buffer", s.env.Name),
			Window:        4,
			PublishWait:   30 * time.Second,
		}, jsPublisher{js: n.JS, wait: 30 * time.Second})
		if err != nil {
			return nil, err
		}
		b.Start(workCtx)
		buffers[i] = b
	}
	return buffers, nil
}

// baseMemory is what recap needs besides its chunk buffers: NATS server caches,
// client buffers, open Parquet row groups and the dedup sets.
const baseMemory = 128 << 20

// limitMemory sets a soft memory limit sized from the configuration (unless
// GOMEMLIMIT is set), so the garbage collector works to keep recap near
// what it needs instead of letting the heap grow to twice the live data. It
// is soft: a heavier load still gets memory, at the cost of more GC.
func limitMemory(cfg *config.Config, log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := baseMemory + int64(len(cfg.Sources))*int64(cfg.Buffer.MemLimit)
	debug.SetMemoryLimit(limit)
	log.Debug("soft memory limit set", "bytes", limit)
}

// runSource runs one source; in daemon mode a source that fails is restarted
// with backoff, so one broken input never stops the others.
func runSource(ctx context.Context, s built[Source], b *Buffer, once bool) {
	backoff := Backoff{Min: time.Second, Max: time.Minute}
	for {
		err := s.it.Run(ctx, b)
		if err == nil || ctx.Err() != nil || errors.Is(err, errStopped) {
			return
		}
		s.env.Fail("source", fmt.Errorf("source %s stopped: %w", s.env.Name, err))
		if once || !backoff.Wait(ctx) {
			return
		}
	}
}

// drainOnce waits for the sources to finish, then for every chunk to pass
// through the stages and be made durable by every sink.
func drainOnce(ctx context.Context, sourcesDone *sync.WaitGroup, buffers []*Buffer, stages *stageRunner, sinks []*sinkRunner) error {
	sourcesDone.Wait()
	for _, b := range buffers {
		if err := b.Drain(ctx); err != nil {
			return err
		}
		b.Stop()
	}
	if err := waitFor(ctx, stages.drained); err != nil {
		return fmt.Errorf("waiting for the stages: %w", err)
	}
	for _, s := range sinks {
		if err := waitFor(ctx, s.caughtUp); err != nil {
			return fmt.Errorf("waiting for sink %s: %w", s.name, err)
		}
		if err := s.sink.Flush(ctx); err != nil {
			return fmt.Errorf("sink %s: %w", s.name, err)
		}
		if err := waitFor(ctx, func(context.Context) (bool, error) { return s.idle(), nil }); err != nil {
			return fmt.Errorf("sink %s: %w", s.name, err)
		}
	}
	return nil
}

// stopDaemon is the SIGTERM path: the sources have stopped; publish what is
// buffered (for a while), save the rest to disk, and make the sinks durable.
func stopDaemon(buffers []*Buffer, sinks []*sinkRunner) error {
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	for _, b := range buffers {
		b.Drain(ctx) // what is not published in time goes to disk in Stop
		b.Stop()
	}
	flushCtx, cancelFlush := context.WithTimeout(context.Background(), time.Minute)
	defer cancelFlush()
	var errs []error
	for _, s := range sinks {
		if err := s.sink.Flush(flushCtx); err != nil {
			errs = append(errs, fmt.Errorf("sink %s: %w", s.name, err))
		}
	}
	return errors.Join(errs...)
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, cond func(context.Context) (bool, error)) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		ok, err := cond(ctx)
		if err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
			}
			return ctx.Err()
		case <-t.C:
		}
	}
}
