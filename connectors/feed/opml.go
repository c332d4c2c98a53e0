package feed

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/net/html/charset"

	"github.com/recap-dev/recap/pipeline"
)

// opmlList is an OPML file and the version of it last read.
type opmlList struct {
	path    string
	modTime time.Time
	size    int64
}

// read returns the feeds of the file and remembers which version it read.
func (l *opmlList) read(maxBytes int64) ([]string, error) {
	if fi, err := os.Stat(l.path); err == nil {
		l.modTime, l.size = fi.ModTime(), fi.Size()
	}
	return readOPML(l.path, maxBytes)
}

// changed reports whether the file differs from the version last read.
func (l *opmlList) changed() bool {
	fi, err := os.Stat(l.path)
	return err == nil && (!fi.ModTime().Equal(l.modTime) || fi.Size() != l.size)
}

// readOPML returns the xmlUrl of every outline, at any depth, of an OPML file.
func readOPML(path string, maxBytes int64) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := pipeline.ReadAtMost(f, maxBytes)
	if err != nil {
		return nil, err
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = charset.NewReaderLabel
	var urls []string
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			line, _ := dec.InputPos()
			return urls, fmt.Errorf("line %d: %w", line, err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok || !strings.EqualFold(el.Name.Local, "outline") {
			continue
		}
		for _, a := range el.Attr {
			if strings.EqualFold(a.Name.Local, "xmlUrl") && strings.TrimSpace(a.Value) != "" {
				urls = append(urls, strings.TrimSpace(a.Value))
			}
		}
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("no outline with an xmlUrl")
	}
	return urls, nil
}
