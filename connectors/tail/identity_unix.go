//go:build unix

package tail

import (
	"fmt"
	"os"
	"syscall"
)

// fileIdentity names a file by device and inode, so a renamed file keeps its
// identity (and its entries their ids) while a new file at the same path gets
// a new one.
func fileIdentity(path string, fi os.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
	}
	return "path:" + path
}
