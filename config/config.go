// Package config loads recap's YAML configuration strictly: every unknown key,
// wrong type, duplicate name or bad value is reported with file, line and key
// path, and defaults are applied in one place (Default).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole recap configuration.
type Config struct {
	// File is the path the configuration was loaded from; relative paths in it
	// are resolved against its directory.
	File string `yaml:"-"`

	DataDir string      `yaml:"data_dir"`
	NATS    NATS        `yaml:"nats"`
	HTTP    HTTP        `yaml:"http"`
	Buffer  Buffer      `yaml:"buffer"`
	Sources []Component `yaml:"sources"`
	Stages  []Component `yaml:"stages"`
	Sinks   []Component `yaml:"sinks"`
}

// NATS says which server to use: an embedded one (URL empty) or an external cluster.
type NATS struct {
	URL         string `yaml:"url"`
	Listen      string `yaml:"listen"`
	Replicas    int    `yaml:"replicas"`
	User        string `yaml:"user"`
	Password    string `yaml:"password"`
	Token       string `yaml:"token"`
	NKey        string `yaml:"nkey"`
	Credentials string `yaml:"credentials"`
	TLS         TLS    `yaml:"tls"`
}

// TLS holds PEM file paths for connecting to an external NATS server.
type TLS struct {
	CA   string `yaml:"ca"`
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// HTTP configures the metrics, health and status listener.
type HTTP struct {
	Listen string `yaml:"listen"`
}

// Buffer bounds each source's chunk buffer.
type Buffer struct {
	ChunkBytes    Size     `yaml:"chunk_bytes"`
	FlushInterval Duration `yaml:"flush_interval"`
	MemLimit      Size     `yaml:"mem_limit"`
	DiskLimit     Size     `yaml:"disk_limit"`
}

// Default returns a configuration with every default set; Load decodes the file over it.
func Default() Config {
	return Config{
		DataDir: "./data",
		NATS:    NATS{Replicas: 1},
		HTTP:    HTTP{Listen: "127.0.0.1:8787"},
		Buffer: Buffer{
			ChunkBytes:    1 << 20,
			FlushInterval: Duration(time.Second),
			MemLimit:      64 << 20,
			DiskLimit:     1 << 30,
		},
	}
}

// MaxConfigBytes bounds the configuration file we are willing to parse.
const MaxConfigBytes = 4 << 20

// Load reads, expands and validates a configuration file. On failure the error
// is an Errors value listing every problem found; the configuration is still
// returned when the file was readable YAML, so that callers can go on to check
// its components and report their problems in the same run.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Errors{{File: path, Msg: err.Error()}}
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(&limitedReader{f, MaxConfigBytes}); err != nil {
		return nil, Errors{{File: path, Msg: err.Error()}}
	}
	return Parse(path, buf.Bytes())
}

type limitedReader struct {
	f *os.File
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, fmt.Errorf("file is larger than %s", Size(MaxConfigBytes))
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.f.Read(p)
	l.n -= int64(n)
	return n, err
}

// Parse decodes configuration text; file names it in error messages and anchors
// relative paths. Like Load, it returns the configuration along with its errors
// whenever the text was YAML.
func Parse(file string, data []byte) (*Config, error) {
	cfg := Default()
	cfg.File = file
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Errors{yamlSyntaxError(file, err)}
	}
	d := &decoder{file: file}
	if len(doc.Content) == 0 {
		d.errorf(nil, "", "the file is empty")
		return nil, d.errs
	}
	d.decode(doc.Content[0], reflect.ValueOf(&cfg).Elem(), "")
	cfg.validate(d, doc.Content[0])
	return &cfg, d.errs.Err()
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlSyntaxError(file string, err error) *Error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		var line int
		fmt.Sscan(m[1], &line)
		return &Error{File: file, Line: line, Msg: "YAML syntax: " + m[2]}
	}
	return &Error{File: file, Msg: "YAML syntax: " + msg}
}

// NamePattern is what source and sink names must look like: they become parts of
// NATS subjects, KV keys and file names, so nothing that could escape those.
var NamePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$`)

func (c *Config) validate(d *decoder, root *yaml.Node) {
	at := func(key string) *yaml.Node { return lookup(root, key) }
	if c.DataDir == "" {
		d.errorf(at("data_dir"), "data_dir", "must not be empty")
	}
	if c.NATS.Replicas < 1 || c.NATS.Replicas > 5 {
		d.errorf(lookup(at("nats"), "replicas"), "nats.replicas", "must be between 1 and 5, got %d", c.NATS.Replicas)
	}
	if c.NATS.URL != "" && c.NATS.Listen != "" {
		d.errorf(lookup(at("nats"), "listen"), "nats.listen", "only applies to the embedded server; remove it or nats.url")
	}
	if c.NATS.Listen != "" {
		if _, _, err := net.SplitHostPort(c.NATS.Listen); err != nil {
			d.errorf(lookup(at("nats"), "listen"), "nats.listen", "want host:port, got %q", c.NATS.Listen)
		}
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			d.errorf(lookup(at("http"), "listen"), "http.listen", "want host:port, got %q", c.HTTP.Listen)
		}
	}
	b, bn := c.Buffer, at("buffer")
	if b.ChunkBytes < 1<<10 || b.ChunkBytes > 8<<20 {
		d.errorf(lookup(bn, "chunk_bytes"), "buffer.chunk_bytes", "must be between 1KiB and 8MiB, got %s", b.ChunkBytes)
	}
	if b.FlushInterval.D() < 10*time.Millisecond {
		d.errorf(lookup(bn, "flush_interval"), "buffer.flush_interval", "must be at least 10ms, got %s", b.FlushInterval)
	}
	if b.MemLimit < b.ChunkBytes*2 {
		d.errorf(lookup(bn, "mem_limit"), "buffer.mem_limit", "must hold at least two chunks (%s), got %s", b.ChunkBytes*2, b.MemLimit)
	}
	if b.DiskLimit < 0 {
		d.errorf(lookup(bn, "disk_limit"), "buffer.disk_limit", "must not be negative")
	}
	if len(c.Sources) == 0 {
		d.errorf(root, "sources", "at least one source is required")
	}
	if len(c.Sinks) == 0 {
		d.errorf(root, "sinks", "at least one sink is required")
	}
	checkComponents(d, "sources", c.Sources, true, true)
	checkComponents(d, "stages", c.Stages, false, false)
	checkComponents(d, "sinks", c.Sinks, true, false)
}

func checkComponents(d *decoder, list string, cs []Component, nameRequired, tagsAllowed bool) {
	names := map[string]int{}
	for i, c := range cs {
		path := fmt.Sprintf("%s[%d]", list, i)
		if c.node == nil {
			continue // already reported as a type error
		}
		if c.Type == "" {
			d.errorf(c.node, path+".type", "required key is missing")
		}
		switch {
		case c.Name == "" && nameRequired:
			d.errorf(c.node, path+".name", "required key is missing")
		case c.Name != "" && !NamePattern.MatchString(c.Name):
			d.errorf(c.nameNode, path+".name", "%q is not a valid name: use letters, digits, '-' and '_' (at most 64, starting with a letter or digit)", c.Name)
		case c.Name != "":
			if first, dup := names[c.Name]; dup {
				d.errorf(c.nameNode, path+".name", "duplicate name %q (also used by %s[%d])", c.Name, list, first)
			} else {
				names[c.Name] = i
			}
		}
		if c.Tags != nil && !tagsAllowed {
			d.errorf(c.tagsNode, path+".tags", "tags are set on sources, not on %s", list)
		}
	}
}

// lookup returns the value node of key in a mapping node, or n itself when
// there is no such key, so that errors point at the enclosing mapping.
func lookup(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return n
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return n
}

// Path resolves p against the directory of the configuration file, so a
// configuration means the same thing whatever directory recap is started from.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(c.File), p)
}

// Component is one entry of sources, stages or sinks: the keys every component
// shares, plus its type-specific options kept as YAML for the connector to decode.
type Component struct {
	Name    string
	Type    string
	Tags    []string // sources only: static tags added to every entry
	Options Options

	node, nameNode, tagsNode *yaml.Node
}

func (c *Component) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	c.node = n
	rest := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := joinPath(path, k.Value)
		if seen[k.Value] {
			d.errorf(k, p, "duplicate key")
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "name":
			c.nameNode = v
			c.Name, _ = d.scalar(v, p, "a string")
		case "type":
			c.Type, _ = d.scalar(v, p, "a string")
		case "tags":
			c.tagsNode = v
			d.decode(v, reflect.ValueOf(&c.Tags).Elem(), p)
			if c.Tags == nil {
				c.Tags = []string{}
			}
		default:
			rest.Content = append(rest.Content, k, v)
		}
	}
	c.Options = Options{file: d.file, path: path, node: rest}
}

// Options are a component's type-specific keys, decoded by the component itself.
type Options struct {
	file string
	path string
	node *yaml.Node
}

// Line is where the component starts in the file, for messages about it.
func (o Options) Line() int {
	if o.node == nil {
		return 0
	}
	return o.node.Line
}

// Decode fills v (a pointer to a struct with yaml tags, defaults preset) strictly.
// The error, if any, is an Errors value with file, line and full key path.
func (o Options) Decode(v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("config: Decode needs a non-nil pointer")
	}
	if o.node == nil {
		return nil
	}
	d := &decoder{file: o.file}
	d.decode(o.node, rv.Elem(), o.path)
	return d.errs.Err()
}

// Errorf makes an error about key (a dotted path inside these options) at its line.
func (o Options) Errorf(key, format string, args ...any) *Error {
	e := &Error{File: o.file, Path: joinPath(o.path, key), Msg: fmt.Sprintf(format, args...)}
	if o.node != nil {
		n := o.node
		for _, part := range splitKey(key) {
			name, index := part, -1
			if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
				name = part[:i]
				if v, err := strconv.Atoi(part[i+1 : len(part)-1]); err == nil {
					index = v
				}
			}
			next := lookup(n, name)
			if next == n {
				break // no such key: point at the closest enclosing node
			}
			n = next
			if index >= 0 && n.Kind == yaml.SequenceNode && index < len(n.Content) {
				n = n.Content[index]
			}
		}
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

func splitKey(key string) []string {
	if key == "" {
		return nil
	}
	return strings.Split(key, ".")
}

// NewOptions builds Options from YAML text; used by tests and by code that
// configures a component programmatically.
func NewOptions(file, path, text string) (Options, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return Options{}, Errors{yamlSyntaxError(file, err)}
	}
	o := Options{file: file, path: path, node: &yaml.Node{Kind: yaml.MappingNode}}
	if len(doc.Content) > 0 {
		o.node = doc.Content[0]
	}
	return o, nil
}
