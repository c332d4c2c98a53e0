// Package natstags is the "nats_tags" sink: every tagged entry is published
// as one JSON message per tag on recap.tag.<tag>, in the RECAP_TAGS stream
// (bounded by age and bytes), so `nats sub 'recap.tag.prometheus'` prints
// readable entries and `recap tail --since` can replay them.
package natstags

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/recap-dev/recap/config"
	"github.com/recap-dev/recap/pipeline"
)

func init() { pipeline.RegisterSink("nats_tags", New) }

// Options bound the RECAP_TAGS stream.
type Options struct {
	MaxAge   config.Duration `yaml:"max_age"`
	MaxBytes config.Size     `yaml:"max_bytes"`
}

// Sink publishes tagged entries.
type Sink struct {
	env  *pipeline.Env
	opts Options

	mu     sync.Mutex
	stream bool // RECAP_TAGS ensured
}

// New checks the options; the stream is created on first use.
func New(env *pipeline.Env) (pipeline.Sink, error) {
	opts := Options{MaxAge: config.Duration(7 * 24 * time.Hour), MaxBytes: 1 << 30}
	errs := config.ErrorsOf(env.Options.Decode(&opts))
	if opts.MaxAge.D() < time.Minute {
		errs = append(errs, env.Options.Errorf("max_age", "must be at least 1m"))
	}
	if opts.MaxBytes < 1<<20 {
		errs = append(errs, env.Options.Errorf("max_bytes", "must be at least 1MiB"))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return &Sink{env: env, opts: opts}, nil
}

// ensureStream creates or updates RECAP_TAGS. Old messages are discarded when
// the stream is full: it is a window for live followers and replays, the
// archive is the record.
func (s *Sink) ensureStream(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stream {
		return nil
	}
	_, err := s.env.JS.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        pipeline.StreamTags,
		Description: "recap tagged entries, one JSON message per entry and tag",
		Subjects:    []string{pipeline.SubjectTag + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      s.opts.MaxAge.D(),
		MaxBytes:    int64(s.opts.MaxBytes),
		Storage:     jetstream.FileStorage,
		Replicas:    s.env.Config.NATS.Replicas,
		Duplicates:  2 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("stream %s: %w", pipeline.StreamTags, err)
	}
	s.stream = true
	return nil
}

// Write publishes the chunk's tagged entries and reports once JetStream acked
// them all. Message ids (entry id + tag) make a redelivered chunk a no-op.
func (s *Sink) Write(ctx context.Context, c *pipeline.Chunk, done func(error)) error {
	if err := s.ensureStream(ctx); err != nil {
		done(err)
		return err
	}
	var futures []jetstream.PubAckFuture
	var err error
	for i := range c.Entries {
		e := &c.Entries[i]
		if len(e.Tags) == 0 {
			continue
		}
		data, merr := e.MarshalJSON()
		if merr != nil {
			err = merr
			break
		}
		for _, tag := range e.Tags {
			msg := &nats.Msg{Subject: pipeline.SubjectTag + "." + tag, Data: data,
				Header: nats.Header{jetstream.MsgIDHeader: []string{e.ID + "." + tag}}}
			f, perr := s.env.JS.PublishMsgAsync(msg)
			if perr != nil {
				err = perr
				break
			}
			futures = append(futures, f)
		}
		if err != nil {
			break
		}
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case perr := <-f.Err():
			err = errors.Join(err, perr)
		case <-time.After(30 * time.Second):
			err = errors.Join(err, errors.New("no acknowledgement from JetStream within 30s"))
		}
	}
	if err != nil {
		err = fmt.Errorf("publish tagged entries: %w", err)
	}
	done(err)
	return err
}

// Flush has nothing to do: Write returns only after JetStream acked.
func (s *Sink) Flush(context.Context) error { return nil }

// Close has nothing to release.
func (s *Sink) Close(context.Context) error { return nil }
