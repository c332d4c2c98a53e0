package pipeline

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff waits exponentially longer between retries, with full jitter so that
// many retriers (sources, recap processes) do not hammer a recovering server in
// step. The zero value is not useful; set Min and Max.
type Backoff struct {
	Min, Max time.Duration
	attempt  int
}

// Next returns the next delay and advances the attempt counter.
func (b *Backoff) Next() time.Duration {
	d := b.Min << min(b.attempt, 30)
	if d <= 0 || d > b.Max {
		d = b.Max
	}
	b.attempt++
	// Jitter in [d/2, d): never zero, never in lock step.
	return d/2 + rand.N(d/2+1)
}

// Reset starts over after a success.
func (b *Backoff) Reset() { b.attempt = 0 }

// Wait sleeps for the next delay; it returns false if ctx ended or a stop
// channel closed first.
func (b *Backoff) Wait(ctx context.Context, stop ...<-chan struct{}) bool {
	t := time.NewTimer(b.Next())
	defer t.Stop()
	var stopCh <-chan struct{}
	if len(stop) > 0 {
		stopCh = stop[0]
	}
	select {
	case <-ctx.Done():
		return false
	case <-stopCh:
		return false
	case <-t.C:
		return true
	}
}

// Every calls fn every d until ctx ends or fn returns false.
func Every(ctx context.Context, d time.Duration, fn func() bool) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !fn() {
				return
			}
		}
	}
}
