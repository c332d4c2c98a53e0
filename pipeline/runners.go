package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// jsPublisher stores chunks with JetStream's async publish, so a buffer can keep
// several chunks in flight (one synchronous round trip per chunk would cap throughput).
type jsPublisher struct {
	js   jetstream.JetStream
	wait time.Duration
}

func (p jsPublisher) PublishChunk(subject, id string, data []byte) <-chan error {
	res := make(chan error, 1)
	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{jetstream.MsgIDHeader: []string{id}}}
	paf, err := p.js.PublishMsgAsync(msg)
	if err != nil {
		res <- err
		return res
	}
	go func() {
		t := time.NewTimer(p.wait)
		defer t.Stop()
		select {
		case <-paf.Ok():
			res <- nil
		case err := <-paf.Err():
			res <- err
		case <-t.C:
			res <- fmt.Errorf("no acknowledgement from JetStream within %s", p.wait)
		}
	}()
	return res
}

// Consumer settings. Stages and sinks send in-progress acks for every chunk they
// hold, so a slow stage or file roll never triggers a redelivery, while AckWait
// stays short: it is how long the chunks of a crashed process wait before they
// are delivered again. MaxDeliver is unlimited because a chunk must never be
// dropped by NATS — poison chunks are parked by us instead.
const (
	stageConsumer     = "recap-stages"
	sinkConsumerPfx   = "recap-sink-"
	consumerAckWait   = 10 * time.Second
	stageFetchBatch   = 8
	sinkFetchBatch    = 16
	sinkMaxAckPending = 20000
	maxStageAttempts  = 10 // default of stageRunner.attempts
)

// stageRunner is the durable pull consumer on RECAP_RAW that runs the stage
// chain and publishes to RECAP_ENTRIES. It acks its input only after JetStream
// acked the output; the output id derives from the input's, so a redelivered
// chunk that was already published is dropped as a duplicate.
type stageRunner struct {
	js       jetstream.JetStream
	stages   []Stage
	report   *Reporter
	deadDir  string
	workers  int
	attempts uint64 // deliveries of a failing chunk before it is parked
	cons     jetstream.Consumer
	held     heldSet // fetched, not yet acked or nakked
	ackWait  time.Duration
}

func (r *stageRunner) consumer(ctx context.Context) error {
	c, err := r.js.CreateOrUpdateConsumer(ctx, StreamRaw, jetstream.ConsumerConfig{
		Durable:       stageConsumer,
		Description:   "recap stages: enrich and tag chunks from RECAP_RAW into RECAP_ENTRIES",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       r.held.setAckWait(r.ackWait),
		MaxDeliver:    -1,
		MaxAckPending: r.workers * stageFetchBatch * 4,
		FilterSubject: SubjectRaw + ".>",
	})
	r.cons = c
	return err
}

func (r *stageRunner) run(ctx context.Context) {
	go r.held.keepAlive(ctx)
	var wg sync.WaitGroup
	for range r.workers {
		wg.Go(func() { r.work(ctx) })
	}
	wg.Wait()
}

func (r *stageRunner) work(ctx context.Context) {
	backoff := Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	var scratch []byte // plain encoding, reused; the compressed copy goes out
	type out struct {
		in   jetstream.Msg
		held *acker
		res  jetstream.PubAckFuture
		err  error
	}
	for ctx.Err() == nil {
		batch, err := r.cons.Fetch(stageFetchBatch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() == nil {
				r.report.Fail("stages", "fetch", err)
				backoff.Wait(ctx)
			}
			continue
		}
		var outs []out
		for h := range r.held.receive(r.js.Conn(), batch) {
			msg, held := h.msg, h.acker
			data, subject, err := r.process(ctx, msg, &scratch)
			switch {
			case err != nil:
				r.held.remove(held)
				r.report.Fail("stages", "stage", err)
				msg.NakWithDelay(backoff.Next())
				continue
			case data == nil:
				r.held.remove(held)
				continue // parked
			}
			pub := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{jetstream.MsgIDHeader: []string{"e-" + msg.Headers().Get(jetstream.MsgIDHeader)}}}
			o := out{in: msg, held: held}
			o.res, o.err = r.js.PublishMsgAsync(pub)
			outs = append(outs, o)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			r.report.Fail("stages", "fetch", err)
		}
		for _, o := range outs {
			if o.err == nil {
				select {
				case <-o.res.Ok():
				case o.err = <-o.res.Err():
				case <-time.After(30 * time.Second):
					o.err = errors.New("no acknowledgement from JetStream within 30s")
				}
			}
			r.held.remove(o.held)
			if o.err != nil {
				r.report.Fail("stages", "publish", o.err)
				o.in.NakWithDelay(backoff.Next())
				continue
			}
			backoff.Reset()
			o.in.Ack()
		}
	}
}

// process decodes, transforms and re-encodes one chunk. A chunk that cannot be
// decoded, or that fails r.attempts times, is parked under data_dir/dead
// and terminated: reported, kept for inspection, never redelivered forever.
// A nil result with nil error means the message was parked.
func (r *stageRunner) process(ctx context.Context, msg jetstream.Msg, scratch *[]byte) ([]byte, string, error) {
	var c Chunk
	if err := DecodeChunk(msg.Data(), &c); err != nil {
		r.park(msg, err)
		return nil, "", nil
	}
	c.ID = msg.Headers().Get(jetstream.MsgIDHeader)
	for _, s := range r.stages {
		if err := s.Process(ctx, &c); err != nil {
			if md, mdErr := msg.Metadata(); mdErr == nil && md.NumDelivered >= r.attempts {
				r.park(msg, err)
				return nil, "", nil
			}
			return nil, "", err
		}
	}
	r.report.Staged.Add(float64(len(c.Entries)))
	*scratch = EncodeChunk(&c, *scratch)
	return CompressChunk(nil, *scratch), SubjectEntry + "." + c.Kind + "." + c.Source, nil
}

func (r *stageRunner) park(msg jetstream.Msg, cause error) {
	name := "raw-" + strings.NewReplacer("/", "_", "\\", "_", "..", "_").Replace(msg.Headers().Get(jetstream.MsgIDHeader))
	if md, err := msg.Metadata(); err == nil {
		name = fmt.Sprintf("raw-%d", md.Sequence.Stream)
	}
	path := filepath.Join(r.deadDir, name+".chunk")
	err := os.MkdirAll(r.deadDir, 0o750)
	if err == nil {
		err = os.WriteFile(path, msg.Data(), 0o640)
	}
	if err != nil {
		r.report.Fail("stages", "poison_chunk", fmt.Errorf("%v; could not park it: %w — left in RECAP_RAW", cause, err))
		msg.NakWithDelay(time.Minute)
		return
	}
	r.report.Fail("stages", "poison_chunk", fmt.Errorf("chunk %s parked at %s: %w", msg.Headers().Get(jetstream.MsgIDHeader), path, cause))
	msg.Term()
}

// drained reports whether every chunk in RECAP_RAW has been through the stages.
func (r *stageRunner) drained(ctx context.Context) (bool, error) {
	info, err := r.cons.Info(ctx)
	if err != nil {
		return false, err
	}
	return info.NumPending == 0 && info.NumAckPending == 0, nil
}

// sinkRunner feeds one sink from its own durable consumer on RECAP_ENTRIES and
// acks each chunk when the sink says it is durable.
type sinkRunner struct {
	name   string
	js     jetstream.JetStream
	sink   Sink
	report *Reporter
	cons   jetstream.Consumer
	held   heldSet // handed to the sink, not yet durable
}

// acker acknowledges one message through its reply subject. A sink may hold
// chunks for minutes until its file rolls; keeping only the reply subject
// (not the jetstream.Msg with its payload) keeps that cheap in memory.
type acker struct {
	nc    *nats.Conn
	reply string
}

// JetStream's acknowledgement protocol bodies.
var (
	ackOK       = []byte("+ACK")
	ackProgress = []byte("+WPI")
)

func (a *acker) ack()        { a.nc.Publish(a.reply, ackOK) }
func (a *acker) inProgress() { a.nc.Publish(a.reply, ackProgress) }
func (a *acker) nak(delay time.Duration) {
	a.nc.Publish(a.reply, fmt.Appendf(nil, "-NAK {\"delay\": %d}", delay.Nanoseconds()))
}

func (r *sinkRunner) consumer(ctx context.Context) error {
	c, err := r.js.CreateOrUpdateConsumer(ctx, StreamEntries, jetstream.ConsumerConfig{
		Durable:       sinkConsumerPfx + r.name,
		Description:   "recap sink " + r.name,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       r.held.setAckWait(0),
		MaxDeliver:    -1,
		MaxAckPending: sinkMaxAckPending,
		FilterSubject: SubjectEntry + ".>",
	})
	r.cons = c
	return err
}

func (r *sinkRunner) run(ctx context.Context) {
	go r.held.keepAlive(ctx)
	backoff := Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	for ctx.Err() == nil {
		batch, err := r.cons.Fetch(sinkFetchBatch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() == nil {
				r.report.Fail(r.name, "fetch", err)
				backoff.Wait(ctx)
			}
			continue
		}
		// Unlike the stages', a sink's chunks are held only once written:
		// caughtUp counts on that to know the sink has them all.
		for msg := range batch.Messages() {
			r.write(ctx, msg)
		}
	}
}

func (r *sinkRunner) write(ctx context.Context, msg jetstream.Msg) {
	var c Chunk
	if err := DecodeChunk(msg.Data(), &c); err != nil {
		// Stages only publish chunks they encoded; this is a foreign message.
		r.report.Fail(r.name, "poison_chunk", fmt.Errorf("undecodable message on %s terminated: %w", msg.Subject(), err))
		msg.Term()
		return
	}
	c.ID = msg.Headers().Get(jetstream.MsgIDHeader)
	if md, err := msg.Metadata(); err == nil {
		c.Seq = md.Sequence.Stream
	}
	a := r.held.add(r.js.Conn(), msg.Reply())
	done := func(err error) {
		r.held.remove(a)
		if err != nil {
			a.nak(2 * time.Second)
			return
		}
		a.ack()
	}
	if err := r.sink.Write(ctx, &c, done); err != nil {
		r.report.Fail(r.name, "write", err)
	}
}

// warnOrphanSinkConsumers logs the sink consumers on RECAP_ENTRIES that no
// configured sink uses. With interest retention such a consumer keeps every
// chunk in the stream until the stream is full and publishing stops; it may
// belong to another worker's configuration, so it is named, not deleted.
func warnOrphanSinkConsumers(ctx context.Context, js jetstream.JetStream, sinks []*sinkRunner, log *slog.Logger) {
	stream, err := js.Stream(ctx, StreamEntries)
	if err != nil {
		return
	}
	ours := map[string]bool{}
	for _, s := range sinks {
		ours[sinkConsumerPfx+s.name] = true
	}
	names := stream.ConsumerNames(ctx)
	for name := range names.Name() {
		if strings.HasPrefix(name, sinkConsumerPfx) && !ours[name] {
			log.Warn("a sink consumer not in this configuration holds chunks in "+StreamEntries+"; if that sink is gone for good, delete it: nats consumer rm "+StreamEntries+" "+name,
				"consumer", name)
		}
	}
}

// heldSet is the chunks a runner holds and has not settled yet. keepAlive
// tells JetStream it is still working on them (a sink holds chunks for an open
// file), so they are not redelivered to another worker meanwhile.
type heldSet struct {
	mu      sync.Mutex
	m       map[*acker]struct{}
	ackWait time.Duration
}

// setAckWait fixes the consumer's AckWait (consumerAckWait when d is 0), which
// sets how often keepAlive reports progress, and returns it.
func (h *heldSet) setAckWait(d time.Duration) time.Duration {
	h.ackWait = cmp.Or(d, consumerAckWait)
	return h.ackWait
}

func (h *heldSet) add(nc *nats.Conn, reply string) *acker {
	a := &acker{nc: nc, reply: reply}
	h.mu.Lock()
	if h.m == nil {
		h.m = map[*acker]struct{}{}
	}
	h.m[a] = struct{}{}
	h.mu.Unlock()
	return a
}

// heldMsg is a fetched message with its entry in a heldSet.
type heldMsg struct {
	msg   jetstream.Msg
	acker *acker
}

// receive holds every message of a batch as soon as it arrives, not only when
// it is taken up, so that chunks queued behind a slow one are kept alive too.
func (h *heldSet) receive(nc *nats.Conn, batch jetstream.MessageBatch) <-chan heldMsg {
	out := make(chan heldMsg, stageFetchBatch)
	go func() {
		defer close(out)
		for msg := range batch.Messages() {
			out <- heldMsg{msg, h.add(nc, msg.Reply())}
		}
	}()
	return out
}

func (h *heldSet) remove(a *acker) {
	h.mu.Lock()
	delete(h.m, a)
	h.mu.Unlock()
}

func (h *heldSet) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.m)
}

func (h *heldSet) keepAlive(ctx context.Context) {
	Every(ctx, h.ackWait/4, func() bool {
		h.mu.Lock()
		held := make([]*acker, 0, len(h.m))
		for a := range h.m {
			held = append(held, a)
		}
		h.mu.Unlock()
		for _, a := range held {
			a.inProgress()
		}
		return true
	})
}

// caughtUp reports whether the sink holds every chunk not yet acked, i.e. a
// Flush now would make the whole stream durable.
func (r *sinkRunner) caughtUp(ctx context.Context) (bool, error) {
	info, err := r.cons.Info(ctx)
	if err != nil {
		return false, err
	}
	return info.NumPending == 0 && info.NumAckPending == r.held.len(), nil
}

func (r *sinkRunner) idle() bool { return r.held.len() == 0 }
