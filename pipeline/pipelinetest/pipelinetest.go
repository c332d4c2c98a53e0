// Package pipelinetest has what connector and stage tests need to run a
// component without NATS: an in-memory state store, an emitter that stores
// entries the way the chunk buffer does, and an Env built from YAML options.
package pipelinetest

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/recap-dev/recap/config"
	"github.com/recap-dev/recap/pipeline"
)

// MemState is an in-memory pipeline.State.
type MemState struct {
	mu sync.Mutex
	m  map[string][]byte
}

// NewMemState returns an empty store.
func NewMemState() *MemState { return &MemState{m: map[string][]byte{}} }

func (s *MemState) Get(_ context.Context, k string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[k], nil
}

func (s *MemState) Put(_ context.Context, k string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = append([]byte(nil), v...)
	return nil
}

func (s *MemState) Delete(_ context.Context, k string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, k)
	return nil
}

// Update rewrites every stored value with fn, to play a changed world.
func (s *MemState) Update(fn func(key string, value []byte) []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.m {
		s.m[k] = fn(k, v)
	}
}

// Collector is an Emitter that encodes every entry at once, as the chunk
// buffer does (so a source that reuses an entry's memory after Emit is
// caught), and runs marks right away, as if every chunk were stored.
type Collector struct {
	mu      sync.Mutex
	entries []pipeline.Entry
}

func (c *Collector) Emit(_ context.Context, e *pipeline.Entry, mark func()) error {
	enc := pipeline.NewChunkEncoder(e.Kind, e.Source, 0)
	enc.Add(e)
	var ch pipeline.Chunk
	if err := pipeline.DecodeChunk(enc.Bytes(), &ch); err != nil {
		return err
	}
	c.mu.Lock()
	c.entries = append(c.entries, ch.Entries[0])
	c.mu.Unlock()
	if mark != nil {
		mark()
	}
	return nil
}

// Entries returns what was emitted so far.
func (c *Collector) Entries() []pipeline.Entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]pipeline.Entry(nil), c.entries...)
}

// Len is the number of entries emitted so far.
func (c *Collector) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Env builds a component's Env from YAML options as they would appear at key
// path (such as "sources[0]") of a configuration file at dir/recap.yaml, so
// relative paths resolve against dir. State is a fresh MemState; set Once
// and the rest on the result as the test needs.
func Env(t testing.TB, path, name, dir, yaml string) *pipeline.Env {
	t.Helper()
	opts, err := config.NewOptions("recap.yaml", path, yaml)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	return &pipeline.Env{
		Name: name, Options: opts, Log: log, Report: pipeline.NewReporter(log), State: NewMemState(),
		Config: &config.Config{File: filepath.Join(dir, "recap.yaml"), NATS: config.NATS{Replicas: 1}},
	}
}

// Errors counts the errors a component reported under reason.
func Errors(rep *pipeline.Reporter, component, reason string) float64 {
	families, _ := rep.Registry().Gather()
	for _, f := range families {
		if f.GetName() != "recap_errors_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["component"] == component && labels["reason"] == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
