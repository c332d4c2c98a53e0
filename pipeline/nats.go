package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/recap-dev/recap/config"
)

// Stream and subject names: the NATS layout of DESIGN.md.
const (
	StreamRaw     = "RECAP_RAW"
	StreamEntries = "RECAP_ENTRIES"
	StreamTags    = "RECAP_TAGS"
	SubjectRaw    = "recap.raw"
	SubjectEntry  = "recap.entries"
	SubjectTag    = "recap.tag"
	stateBucket   = "recap_state"
)

// maxPayload is the embedded server's message limit: room for the largest chunk
// (buffer.chunk_bytes is at most 8MiB) plus headers.
const maxPayload = 16 << 20

// duplicateWindow is how long JetStream remembers chunk ids: long enough to
// cover a restart that re-publishes chunks from the disk buffer.
const duplicateWindow = 30 * time.Minute

// NATS is recap's connection: to its embedded server, or to an external cluster.
type NATS struct {
	Server *server.Server // nil when connected to an external server
	Conn   *nats.Conn
	JS     jetstream.JetStream
	log    *slog.Logger
}

// StartNATS starts the embedded server (no nats.url) or connects to nats.url, and
// waits until the connection is up, retrying while ctx allows: sources need their
// checkpoints from the KV store before they may read anything.
func StartNATS(ctx context.Context, cfg *config.Config, log *slog.Logger) (*NATS, error) {
	n := &NATS{log: log}
	opts := []nats.Option{
		nats.Name("recap"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		// Fail publishes fast while disconnected: the chunk buffer holds and
		// retries them, with its own limits, instead of a hidden client buffer.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("NATS connection lost", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("NATS reconnected", "url", c.ConnectedUrlRedacted()) }),
	}
	url := cfg.NATS.URL
	if url == "" {
		srv, err := startEmbedded(cfg, log)
		if err != nil {
			return nil, err
		}
		n.Server = srv
		opts = append(opts, nats.InProcessServer(srv))
		url = srv.ClientURL()
	} else {
		auth, err := authOptions(cfg)
		if err != nil {
			return nil, err
		}
		opts = append(opts, auth...)
	}
	backoff := Backoff{Min: 200 * time.Millisecond, Max: 5 * time.Second}
	for {
		nc, err := nats.Connect(url, opts...)
		if err == nil {
			n.Conn = nc
			break
		}
		log.Warn("waiting for NATS", "url", url, "err", err)
		if !backoff.Wait(ctx) {
			n.Close()
			return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
		}
	}
	js, err := jetstream.New(n.Conn)
	if err != nil {
		n.Close()
		return nil, err
	}
	n.JS = js
	return n, nil
}

func startEmbedded(cfg *config.Config, log *slog.Logger) (*server.Server, error) {
	storeDir := filepath.Join(cfg.Path(cfg.DataDir), "jetstream")
	if err := os.MkdirAll(storeDir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	opts := &server.Options{
		ServerName: "recap",
		JetStream:  true,
		StoreDir:   storeDir,
		MaxPayload: maxPayload,
		NoSigs:     true,
		NoLog:      true,
		DontListen: cfg.NATS.Listen == "",
	}
	if cfg.NATS.Listen != "" {
		host, port, err := net.SplitHostPort(cfg.NATS.Listen)
		if err != nil {
			return nil, fmt.Errorf("nats.listen: %w", err)
		}
		opts.Host = host
		if opts.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("nats.listen: bad port %q", port)
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("embedded NATS did not start within 30s (is nats.listen already in use?)")
	}
	if cfg.NATS.Listen != "" {
		log.Info("embedded NATS listening", "url", srv.ClientURL())
	}
	return srv, nil
}

func authOptions(cfg *config.Config) ([]nats.Option, error) {
	c := cfg.NATS
	var opts []nats.Option
	switch {
	case c.Credentials != "":
		opts = append(opts, nats.UserCredentials(cfg.Path(c.Credentials)))
	case c.NKey != "":
		o, err := nats.NkeyOptionFromSeed(cfg.Path(c.NKey))
		if err != nil {
			return nil, fmt.Errorf("nats.nkey: %w", err)
		}
		opts = append(opts, o)
	case c.Token != "":
		opts = append(opts, nats.Token(c.Token))
	case c.User != "":
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	}
	if c.TLS.CA != "" {
		opts = append(opts, nats.RootCAs(cfg.Path(c.TLS.CA)))
	}
	if c.TLS.Cert != "" || c.TLS.Key != "" {
		opts = append(opts, nats.ClientCert(cfg.Path(c.TLS.Cert), cfg.Path(c.TLS.Key)))
	}
	return opts, nil
}

// EnsureStreams creates or updates RECAP_RAW and RECAP_ENTRIES. Both use interest
// retention: a chunk is removed once every consumer (the stages, each sink) has
// acked it, so the streams hold only work in progress. DiscardNew makes a full
// stream refuse publishes (which the chunk buffer retries) rather than drop data.
func (n *NATS) EnsureStreams(ctx context.Context, replicas int) error {
	for _, s := range []jetstream.StreamConfig{
		{Name: StreamRaw, Subjects: []string{SubjectRaw + ".>"}, Description: "chunks from recap sources"},
		{Name: StreamEntries, Subjects: []string{SubjectEntry + ".>"}, Description: "enriched chunks for recap sinks"},
	} {
		s.Retention = jetstream.InterestPolicy
		s.Storage = jetstream.FileStorage
		s.Discard = jetstream.DiscardNew
		s.Replicas = replicas
		s.Duplicates = duplicateWindow
		s.MaxMsgSize = maxPayload
		if _, err := n.JS.CreateOrUpdateStream(ctx, s); err != nil {
			return fmt.Errorf("stream %s: %w", s.Name, err)
		}
	}
	return nil
}

// StateStore opens the KV bucket holding source checkpoints.
func (n *NATS) StateStore(ctx context.Context, replicas int) (jetstream.KeyValue, error) {
	kv, err := n.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      stateBucket,
		Description: "recap source checkpoints: feed validators and seen ids, file offsets",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("KV bucket %s: %w", stateBucket, err)
	}
	return kv, nil
}

// Close drains the connection and stops the embedded server, if any.
func (n *NATS) Close() {
	if n.Conn != nil {
		n.Conn.Drain()
		for i := 0; i < 50 && !n.Conn.IsClosed(); i++ {
			time.Sleep(20 * time.Millisecond)
		}
		n.Conn.Close()
	}
	if n.Server != nil {
		n.Server.Shutdown()
		n.Server.WaitForShutdown()
	}
}

// kvState adapts a KV bucket to State with keys namespaced by component name.
type kvState struct {
	kv     jetstream.KeyValue
	prefix string
}

func (s kvState) Get(ctx context.Context, key string) ([]byte, error) {
	e, err := s.kv.Get(ctx, s.prefix+key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return e.Value(), nil
}

func (s kvState) Put(ctx context.Context, key string, value []byte) error {
	_, err := s.kv.Put(ctx, s.prefix+key, value)
	return err
}

func (s kvState) Delete(ctx context.Context, key string) error {
	err := s.kv.Delete(ctx, s.prefix+key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	return err
}
