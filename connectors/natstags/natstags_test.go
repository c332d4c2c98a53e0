package natstags

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/recap-dev/recap/pipeline"
	"github.com/recap-dev/recap/pipeline/pipelinetest"
)

// startJetStream runs an in-process nats-server with JetStream.
func startJetStream(t *testing.T) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	srv, err := server.NewServer(&server.Options{JetStream: true, StoreDir: t.TempDir(), DontListen: true, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.ClientURL(), nats.InProcessServer(srv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

func TestTaggedEntriesArePublishedOncePerTag(t *testing.T) {
	nc, js := startJetStream(t)
	env := pipelinetest.Env(t, "sinks[1]", "tags", t.TempDir(), "max_age: 1h\nmax_bytes: 64MiB\n")
	env.JS = js
	s, err := New(env)
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := nc.SubscribeSync("recap.tag.>")
	now := time.Now().UTC()
	chunk := &pipeline.Chunk{Kind: pipeline.KindFeedItem, Source: "recaps", Entries: []pipeline.Entry{
		{ID: "a", Kind: pipeline.KindFeedItem, Source: "recaps", Title: "Thanos at scale", Published: now, Ingested: now,
			Text: "Prometheus and Thanos", Tags: []string{"prometheus", "thanos"}, Attrs: []pipeline.Attr{{Key: "guid", Value: "urn:a"}}},
		{ID: "b", Kind: pipeline.KindFeedItem, Source: "recaps", Title: "untagged", Published: now, Ingested: now},
	}}
	var acked []error
	done := func(err error) { acked = append(acked, err) }
	if err := s.Write(t.Context(), chunk, done); err != nil {
		t.Fatal(err)
	}
	// A redelivered chunk publishes under the same message ids: no duplicates.
	if err := s.Write(t.Context(), chunk, done); err != nil {
		t.Fatal(err)
	}
	if len(acked) != 2 || acked[0] != nil || acked[1] != nil {
		t.Fatalf("acks: %v", acked)
	}
	subjects := map[string]int{}
	for {
		msg, err := sub.NextMsg(300 * time.Millisecond)
		if err != nil {
			break
		}
		subjects[msg.Subject]++
		var e map[string]any
		if err := json.Unmarshal(msg.Data, &e); err != nil || e["id"] != "a" || e["title"] != "Thanos at scale" {
			t.Errorf("message on %s is not the entry as JSON: %s", msg.Subject, msg.Data)
		}
		if attrs, _ := e["attrs"].(map[string]any); attrs["guid"] != "urn:a" {
			t.Errorf("attrs not a JSON object: %s", msg.Data)
		}
	}
	if len(subjects) != 2 || subjects["recap.tag.prometheus"] == 0 || subjects["recap.tag.thanos"] == 0 {
		t.Errorf("subjects: %v", subjects)
	}
	stream, err := js.Stream(t.Context(), pipeline.StreamTags)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := stream.Info(t.Context())
	if info.State.Msgs != 2 || info.Config.MaxAge != time.Hour || info.Config.MaxBytes != 64<<20 {
		t.Errorf("stream holds %d messages (want 2), max_age %s, max_bytes %d", info.State.Msgs, info.Config.MaxAge, info.Config.MaxBytes)
	}
}

func TestOptionErrors(t *testing.T) {
	env := pipelinetest.Env(t, "sinks[1]", "tags", t.TempDir(), "max_age: 1s\nmax_bytes: 1KiB\nreplicas: 3\n")
	_, err := New(env)
	for _, want := range []string{"sinks[1].max_age: must be at least 1m", "sinks[1].max_bytes: must be at least 1MiB", "sinks[1].replicas: unknown key"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
}
