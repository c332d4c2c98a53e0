//go:build unix

package pipeline

import (
	"context"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// cancelWhenClosed cancels when out is a pipe or socket whose reader went away
// (`recap tail | head -1`), even while there is nothing to write: poll reports
// POLLERR/POLLHUP on the write end once the read end is closed.
func cancelWhenClosed(ctx context.Context, out io.Writer, cancel context.CancelFunc) {
	f, ok := out.(*os.File)
	if !ok {
		return
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return
	}
	fd := int(f.Fd())
	go Every(ctx, 200*time.Millisecond, func() bool {
		fds := []unix.PollFd{{Fd: int32(fd)}}
		if n, err := unix.Poll(fds, 0); err == nil && n > 0 && fds[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
			cancel()
			return false
		}
		return true
	})
}
