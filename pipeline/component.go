package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/recap-dev/recap/config"
)

// Source produces entries. Run emits until its input is exhausted (in --once
// mode, Env.Once) or ctx is cancelled. Emit blocks while the chunk buffer is full,
// which is how backpressure reaches inputs.
type Source interface {
	Run(ctx context.Context, emit Emitter) error
}

// Emitter takes entries from a source into its chunk buffer. mark, if not nil,
// is called once this entry and every entry emitted before it are durable in
// JetStream; sources use it to checkpoint (feed seen-ids, file offsets). Marks
// are called in emit order from one goroutine and should return quickly.
type Emitter interface {
	Emit(ctx context.Context, e *Entry, mark func()) error
}

// Stage transforms a chunk in place (enrich, tag). It must be deterministic:
// a redelivered chunk has to come out the same.
type Stage interface {
	Process(ctx context.Context, c *Chunk) error
}

// Sink stores chunks. Write hands over a chunk; the sink calls done(nil) once its
// entries are durable (fsynced file, acked peer) — possibly later, when a file
// rolls — or done(err) when they could not be stored and must be redelivered.
// Flush makes everything written so far durable and calls the pending dones.
type Sink interface {
	Write(ctx context.Context, c *Chunk, done func(error)) error
	Flush(ctx context.Context) error
	Close(ctx context.Context) error
}

// Env is what a component constructor gets: its configuration and the services
// of the running pipeline. Constructors must not do I/O; they only parse and
// check options, because `recap validate` builds every component without NATS.
type Env struct {
	Name    string
	Type    string
	Options config.Options
	Config  *config.Config
	Once    bool
	Log     *slog.Logger
	Report  *Reporter

	// Set only when the pipeline really runs (nil while validating).
	JS    jetstream.JetStream
	State State
}

// Path resolves a path from the configuration against the config file's directory.
func (e *Env) Path(p string) string { return e.Config.Path(p) }

// Fail logs a component error and counts it under reason, for /metrics and the status page.
func (e *Env) Fail(reason string, err error, args ...any) {
	e.Report.Fail(e.Name, reason, err, args...)
}

// State is a small persistent key/value store for source checkpoints, backed by
// a JetStream KV bucket so that state moves with the cluster. Get returns nil,
// nil for a missing key. Keys are namespaced per component by the pipeline.
type State interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}

var registry = struct {
	sync.Mutex
	sources map[string]func(*Env) (Source, error)
	stages  map[string]func(*Env) (Stage, error)
	sinks   map[string]func(*Env) (Sink, error)
}{
	sources: map[string]func(*Env) (Source, error){},
	stages:  map[string]func(*Env) (Stage, error){},
	sinks:   map[string]func(*Env) (Sink, error){},
}

// RegisterSource makes a source type available to configurations; connectors
// call it from init, so the pipeline knows none of them by name.
func RegisterSource(typ string, f func(*Env) (Source, error)) {
	register(registry.sources, "source", typ, f)
}

// RegisterStage makes a stage type available to configurations.
func RegisterStage(typ string, f func(*Env) (Stage, error)) {
	register(registry.stages, "stage", typ, f)
}

// RegisterSink makes a sink type available to configurations.
func RegisterSink(typ string, f func(*Env) (Sink, error)) { register(registry.sinks, "sink", typ, f) }

func register[F any](m map[string]F, what, typ string, f F) {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := m[typ]; dup {
		panic(fmt.Sprintf("pipeline: %s type %q registered twice", what, typ))
	}
	m[typ] = f
}

func lookupFactory[F any](m map[string]F, typ string) (F, []string, bool) {
	registry.Lock()
	defer registry.Unlock()
	f, ok := m[typ]
	var known []string
	if !ok {
		for k := range m {
			known = append(known, k)
		}
		sort.Strings(known)
	}
	return f, known, ok
}

var tagInvalid = regexp.MustCompile(`[^a-z0-9_-]+`)

// NormalizeTag turns a label into the tag form [a-z0-9][a-z0-9_-]*: lower case,
// spaces and other characters become '-', leading '-'/'_' are dropped. It
// returns "" when nothing usable is left. Tags end up in NATS subjects and
// must never carry '.', '*', '>' or whitespace.
func NormalizeTag(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if isTag(s) {
		return s
	}
	s = tagInvalid.ReplaceAllString(s, "-")
	s = strings.TrimLeft(s, "-_")
	s = strings.TrimRight(s, "-")
	if len(s) > 64 {
		s = strings.TrimRight(s[:64], "-")
	}
	return s
}

func isTag(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// ErrTooLarge is returned for input beyond a configured size limit.
var ErrTooLarge = errors.New("input too large")

// ReadAtMost reads r to its end, or fails with ErrTooLarge as soon as more
// than limit bytes arrive, so a hostile input never costs more than limit.
func ReadAtMost(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return data, nil
}

// ErrBadState marks a stored value that does not decode; the caller starts
// that piece of state afresh (and reports it) instead of failing for good.
var ErrBadState = errors.New("unreadable state")

// GetJSON reads the JSON value of key into v; found is false for a missing key.
// A value that does not decode is an ErrBadState error; other errors are the
// store's (e.g. NATS unreachable) and worth a retry.
func GetJSON(ctx context.Context, s State, key string, v any) (found bool, err error) {
	raw, err := s.Get(ctx, key)
	if err != nil || raw == nil {
		return false, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("%w: %v", ErrBadState, err)
	}
	return true, nil
}

// PutJSON stores v as JSON under key.
func PutJSON(ctx context.Context, s State, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.Put(ctx, key, raw)
}

// EmitAll emits entries in order and runs stored once all of them are stored
// in JetStream — at once when there are none. Sources use it to save what
// they have read (validators, seen ids) only when it is safe to.
func EmitAll(ctx context.Context, emit Emitter, entries []*Entry, stored func()) error {
	if len(entries) == 0 {
		stored()
		return nil
	}
	for i, e := range entries {
		var mark func()
		if i == len(entries)-1 {
			mark = stored
		}
		if err := emit.Emit(ctx, e, mark); err != nil {
			return err
		}
	}
	return nil
}
