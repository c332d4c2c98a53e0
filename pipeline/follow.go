package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/recap-dev/recap/config"
)

// FollowOptions say what `recap tail` prints.
type FollowOptions struct {
	Tags   []string
	Since  time.Duration // replay this much history first; 0 prints only new entries
	Format string        // "json" (one entry per line) or "text"
}

// DialForTail connects to the NATS server a recap daemon uses: url if given,
// else the configuration's nats.url, else its embedded server's nats.listen.
func DialForTail(url string, cfg *config.Config) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name("recap tail"), nats.MaxReconnects(-1)}
	if url == "" && cfg != nil {
		switch {
		case cfg.NATS.URL != "":
			url = cfg.NATS.URL
		case cfg.NATS.Listen != "":
			url = "nats://" + cfg.NATS.Listen
		default:
			return nil, fmt.Errorf("%s: the embedded NATS server is not reachable from other processes; set nats.listen (e.g. 127.0.0.1:4222)", cfg.File)
		}
	}
	if cfg != nil && cfg.NATS.URL != "" {
		auth, err := authOptions(cfg)
		if err != nil {
			return nil, err
		}
		opts = append(opts, auth...)
	}
	if url == "" {
		url = nats.DefaultURL
		if env := os.Getenv("NATS_URL"); env != "" {
			url = env
		}
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	return nc, nil
}

// Follow prints entries tagged with any of opts.Tags until ctx ends. An entry
// carrying several of the tags is printed once. It returns nil when ctx ends or
// the output is closed (e.g. `recap tail … | head`).
func Follow(ctx context.Context, nc *nats.Conn, opts FollowOptions, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cancelWhenClosed(ctx, out, cancel)
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	subjects := make([]string, len(opts.Tags))
	for i, t := range opts.Tags {
		subjects[i] = SubjectTag + "." + t
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: subjects, DeliverPolicy: jetstream.DeliverNewPolicy}
	if opts.Since > 0 {
		start := time.Now().Add(-opts.Since)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	cons, err := js.OrderedConsumer(ctx, StreamTags, cfg)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("stream %s does not exist yet: run a recap daemon with a nats_tags sink", StreamTags)
	}
	if err != nil {
		return err
	}
	msgs, err := cons.Messages()
	if err != nil {
		return err
	}
	defer msgs.Stop()
	go func() {
		<-ctx.Done()
		msgs.Stop()
	}()
	seen := newRecentSet(100_000)
	for {
		msg, err := msgs.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return err
		}
		var e Entry
		if err := json.Unmarshal(msg.Data(), &e); err != nil {
			fmt.Fprintf(os.Stderr, "recap tail: skipping a message on %s that is not an entry: %v\n", msg.Subject(), err)
			continue
		}
		if !seen.add(e.ID) {
			continue
		}
		if err := printEntry(out, &e, msg.Data(), opts.Format); err != nil {
			return nil // the reader went away: that is how a pipe ends
		}
	}
}

func printEntry(w io.Writer, e *Entry, raw []byte, format string) error {
	if format != "text" {
		_, err := fmt.Fprintf(w, "%s\n", raw)
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s/%s  [%s]", e.Published.UTC().Format("2006-01-02 15:04"), e.Kind, e.Source, strings.Join(e.Tags, " "))
	if e.Title != "" {
		fmt.Fprintf(&b, "  %s", e.Title)
	}
	if e.URL != "" {
		fmt.Fprintf(&b, "  <%s>", e.URL)
	}
	text := strings.Join(strings.Fields(e.Text), " ")
	if r := []rune(text); len(r) > 240 {
		text = string(r[:240]) + "…"
	}
	fmt.Fprintf(&b, "\n    %s\n", text)
	_, err := io.WriteString(w, b.String())
	return err
}

// recentSet remembers the last n ids, to print an entry once though it
// arrives on several of the followed tags.
type recentSet struct {
	ids   map[string]struct{}
	order []string
	next  int
}

func newRecentSet(n int) *recentSet {
	return &recentSet{ids: make(map[string]struct{}, n), order: make([]string, n)}
}

func (s *recentSet) add(id string) bool {
	if _, ok := s.ids[id]; ok {
		return false
	}
	if old := s.order[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.order[s.next] = id
	s.next = (s.next + 1) % len(s.order)
	s.ids[id] = struct{}{}
	return true
}
