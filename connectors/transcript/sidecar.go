package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	"golang.org/x/text/encoding/htmlindex"

	"github.com/recap-dev/recap/pipeline"
)

// MaxSidecarBytes bounds a sidecar file.
const MaxSidecarBytes = 64 << 10

// Meta is what a sidecar file says about the talk in the transcript beside it.
type Meta struct {
	Title    string
	Speakers []string
	Event    string
	Date     time.Time // zero if not given
	URL      string
	Encoding string // the transcript's character encoding (a WHATWG label) if detection should not guess
}

// sidecarExts are the sidecar names, tried in this order: talk.vtt has
// talk.meta.yaml, talk.meta.yml or talk.meta.json.
var sidecarExts = []string{".meta.yaml", ".meta.yml", ".meta.json"}

// sidecarFields is the sidecar schema; every key is optional, any other key is an error.
type sidecarFields struct {
	Title    string   `yaml:"title" json:"title"`
	Speakers []string `yaml:"speakers" json:"speakers"`
	Event    string   `yaml:"event" json:"event"`
	Date     string   `yaml:"date" json:"date"`
	URL      string   `yaml:"url" json:"url"`
	Encoding string   `yaml:"encoding" json:"encoding"`
}

var sidecarKeys = []string{"title", "speakers", "event", "date", "url", "encoding"}

// IsSidecar reports whether path names a sidecar file rather than a transcript.
func IsSidecar(path string) bool {
	lower := strings.ToLower(path)
	return slices.ContainsFunc(sidecarExts, func(ext string) bool { return strings.HasSuffix(lower, ext) })
}

// LoadSidecar reads the sidecar of the transcript at transcriptPath
// (<dir>/<base without extension>.meta.yaml, .meta.yml or .meta.json). It
// returns (nil, nil) when there is none. Unknown keys, a bad date, URL or
// encoding, two sidecars for one transcript and files over MaxSidecarBytes
// are errors naming the file.
func LoadSidecar(transcriptPath string) (*Meta, error) {
	base := strings.TrimSuffix(transcriptPath, filepath.Ext(transcriptPath))
	var found []string
	for _, ext := range sidecarExts {
		_, err := os.Stat(base + ext)
		switch {
		case err == nil:
			found = append(found, base+ext)
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, fmt.Errorf("%s: %s also describes %s; keep one sidecar", found[0], found[1], transcriptPath)
	}
	data, err := readSidecar(found[0])
	if err != nil {
		return nil, err
	}
	return parseSidecar(found[0], data)
}

func readSidecar(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := pipeline.ReadAtMost(f, MaxSidecarBytes)
	if errors.Is(err, pipeline.ErrTooLarge) {
		return nil, fmt.Errorf("%s: sidecar is larger than %d KiB", path, MaxSidecarBytes>>10)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// parseSidecar decodes sidecar data, JSON if path ends in .json, else YAML.
func parseSidecar(path string, data []byte) (*Meta, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")) // as Windows editors write it
	var f sidecarFields
	var err error
	if strings.HasSuffix(strings.ToLower(path), ".json") {
		err = decodeSidecarJSON(data, &f)
	} else {
		err = decodeSidecarYAML(data, &f)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m, err := f.meta()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func unknownKey(key string) error {
	return fmt.Errorf("unknown key %q (known keys: %s)", key, strings.Join(sidecarKeys, ", "))
}

func decodeSidecarYAML(data []byte, f *sidecarFields) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if len(doc.Content) == 0 {
		return nil // an empty sidecar says nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping of keys to values", root.Line)
	}
	for i := 0; i < len(root.Content); i += 2 {
		if k := root.Content[i]; !slices.Contains(sidecarKeys, k.Value) {
			return fmt.Errorf("line %d: %w", k.Line, unknownKey(k.Value))
		}
	}
	return root.Decode(f)
}

func decodeSidecarJSON(data []byte, f *sidecarFields) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if !slices.Contains(sidecarKeys, k) {
			return unknownKey(k)
		}
	}
	return json.Unmarshal(data, f)
}

func (f *sidecarFields) meta() (*Meta, error) {
	m := &Meta{Title: strings.TrimSpace(f.Title), Event: strings.TrimSpace(f.Event), URL: strings.TrimSpace(f.URL), Encoding: strings.TrimSpace(f.Encoding)}
	for _, s := range f.Speakers {
		if s = strings.TrimSpace(s); s != "" {
			m.Speakers = append(m.Speakers, s)
		}
	}
	var err error
	if m.Date, err = parseSidecarDate(strings.TrimSpace(f.Date)); err != nil {
		return nil, err
	}
	if m.URL != "" {
		if u, err := url.Parse(m.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("url: %q is not an http(s) URL", m.URL)
		}
	}
	if m.Encoding != "" {
		if _, err := htmlindex.Get(m.Encoding); err != nil {
			return nil, fmt.Errorf("encoding: %w: %q", ErrUnknownEncoding, m.Encoding)
		}
	}
	return m, nil
}

// parseSidecarDate reads YYYY-MM-DD (as midnight UTC) or RFC 3339.
func parseSidecarDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("date: %q is neither YYYY-MM-DD nor RFC 3339", s)
}

// languageSuffix matches a language tag before the extension ("talk.en.vtt").
var languageSuffix = regexp.MustCompile(`^\.[a-z]{2,3}(-[A-Za-z]{2,4})?$`)

// TitleFromFileName makes a readable title from a transcript's file name, for
// transcripts that carry none: "kubecon-eu-2024_keynote-day1.vtt" becomes
// "Kubecon Eu 2024 Keynote Day1".
func TitleFromFileName(name string) string {
	base := filepath.Base(name)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	if ext := filepath.Ext(base); languageSuffix.MatchString(ext) {
		base = strings.TrimSuffix(base, ext)
	}
	words := strings.FieldsFunc(base, func(r rune) bool {
		return r == '-' || r == '_' || r == '.' || unicode.IsSpace(r)
	})
	for i, w := range words {
		r, size := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToTitle(r)) + w[size:]
	}
	return strings.Join(words, " ")
}
