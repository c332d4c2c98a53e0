package tail

import (
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/valyala/fastjson"

	"github.com/recap-dev/recap/pipeline"
)

// lineParser turns one log line into the fields of an entry. It reuses its
// buffers: the strings it sets point into them (and into the line) and stay
// valid only until the next parse — long enough for Emit, which copies the
// entry into its chunk before returning. That keeps the log path free of
// per-line allocations.
type lineParser struct {
	format  string
	json    fastjson.Parser
	attrs   []pipeline.Attr
	scratch []byte
}

// levelCategories interns the one-element category list of each level, so a
// log line does not allocate one.
var levelCategories = map[string][]string{}

func categoriesOf(level string) []string {
	if c, ok := levelCategories[level]; ok {
		return c
	}
	return []string{level}
}

func init() {
	for _, l := range []string{"trace", "debug", "info", "notice", "warn", "warning", "error", "fatal", "critical", "panic"} {
		levelCategories[l] = []string{l}
	}
}

// b2s views bytes as a string without copying; see lineParser for why it is safe.
func b2s(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// parse fills e from line. It returns false when the line did not match the
// format; e then carries the raw line as text, so nothing is lost.
func (p *lineParser) parse(line []byte, e *pipeline.Entry) bool {
	p.attrs = p.attrs[:0]
	p.scratch = p.scratch[:0]
	ok := true
	switch p.format {
	case "json":
		ok = p.parseJSON(line, e)
	case "logfmt":
		ok = p.parseLogfmt(line, e)
	default:
		e.Text = b2s(line)
		e.Level = sniffLevel(line)
	}
	if !ok {
		p.attrs = p.attrs[:0]
		e.Text, e.Level, e.Published = b2s(line), "", time.Time{}
	}
	if e.Level != "" {
		e.Categories = categoriesOf(e.Level)
	}
	e.Attrs = p.attrs
	return ok
}

// Keys with a meaning in the entry schema; the rest become attrs.
func fieldRole(key []byte) byte {
	switch string(key) {
	case "ts", "time", "timestamp", "@timestamp", "t":
		return 't'
	case "level", "lvl", "severity", "loglevel":
		return 'l'
	case "msg", "message", "log":
		return 'm'
	}
	return 0
}

func (p *lineParser) parseJSON(line []byte, e *pipeline.Entry) bool {
	v, err := p.json.ParseBytes(line)
	if err != nil {
		return false
	}
	obj, err := v.Object()
	if err != nil {
		return false
	}
	obj.Visit(func(key []byte, val *fastjson.Value) {
		var s string
		if val.Type() == fastjson.TypeString {
			s = b2s(val.GetStringBytes())
		} else {
			start := len(p.scratch)
			p.scratch = val.MarshalTo(p.scratch)
			s = b2s(p.scratch[start:])
		}
		p.field(key, s, e)
	})
	return true
}

func (p *lineParser) field(key []byte, val string, e *pipeline.Entry) {
	switch fieldRole(key) {
	case 't':
		if t, ok := parseTime(val); ok {
			e.Published = t
			return
		}
	case 'l':
		if lv := normalizeLevel(val); lv != "" {
			e.Level = lv
			return
		}
	case 'm':
		if e.Text == "" {
			e.Text = val
			return
		}
	}
	p.attrs = append(p.attrs, pipeline.Attr{Key: b2s(key), Value: val})
}

// parseLogfmt reads key=value pairs; values may be "quoted" with \" escapes.
func (p *lineParser) parseLogfmt(line []byte, e *pipeline.Entry) bool {
	i, pairs := 0, 0
	for i < len(line) {
		for i < len(line) && line[i] == ' ' {
			i++
		}
		if i == len(line) {
			break
		}
		ks := i
		for i < len(line) && line[i] != '=' && line[i] != ' ' {
			i++
		}
		key := line[ks:i]
		if len(key) == 0 {
			return false
		}
		var val string
		if i < len(line) && line[i] == '=' {
			i++
			if i < len(line) && line[i] == '"' {
				end, v, ok := p.quoted(line, i)
				if !ok {
					return false
				}
				i, val = end, v
			} else {
				vs := i
				for i < len(line) && line[i] != ' ' {
					i++
				}
				val = b2s(line[vs:i])
			}
		}
		p.field(key, val, e)
		pairs++
	}
	return pairs > 0
}

// quoted reads a "..." value starting at line[i]; it returns the index after it.
func (p *lineParser) quoted(line []byte, i int) (int, string, bool) {
	j := i + 1
	start := len(p.scratch)
	for j < len(line) {
		switch c := line[j]; c {
		case '"':
			return j + 1, b2s(p.scratch[start:]), true
		case '\\':
			if j+1 < len(line) {
				j++
				switch line[j] {
				case 'n':
					p.scratch = append(p.scratch, '\n')
				case 't':
					p.scratch = append(p.scratch, '\t')
				default:
					p.scratch = append(p.scratch, line[j])
				}
			}
		default:
			p.scratch = append(p.scratch, c)
		}
		j++
	}
	return 0, "", false
}

func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if c := s[0]; c >= '0' && c <= '9' && !strings.ContainsAny(s, "-:T") {
		// Epoch seconds, milliseconds, microseconds or nanoseconds, by magnitude.
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f <= 0 {
			return time.Time{}, false
		}
		switch {
		case f < 1e11:
			return time.UnixMicro(int64(f * 1e6)).UTC(), true
		case f < 1e14:
			return time.UnixMicro(int64(f * 1e3)).UTC(), true
		case f < 1e17:
			return time.UnixMicro(int64(f)).UTC(), true
		default:
			return time.Unix(0, int64(f)).UTC(), true
		}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func normalizeLevel(s string) string {
	switch strings.ToLower(s) {
	case "trace":
		return "trace"
	case "debug", "dbug", "dbg":
		return "debug"
	case "info", "information", "informational", "inf":
		return "info"
	case "notice":
		return "notice"
	case "warn", "warning", "wrn":
		return "warn"
	case "error", "err", "eror":
		return "error"
	case "fatal", "crit", "critical", "alert", "emerg", "panic":
		return "fatal"
	}
	return ""
}

// sniffLevel finds an upper-case level word (INFO, WARN, ERROR, …) near the
// start of a plain-text line; lower-case words are too often prose ("an error").
func sniffLevel(line []byte) string {
	head := line[:min(len(line), 64)]
	start := -1
	for i := 0; i <= len(head); i++ {
		upper := i < len(head) && head[i] >= 'A' && head[i] <= 'Z'
		if upper && start < 0 {
			start = i
		}
		if !upper && start >= 0 {
			boundary := i == len(head) || !isWordByte(head[i])
			if w := head[start:i]; boundary && len(w) >= 3 && len(w) <= 11 && (start == 0 || !isWordByte(head[start-1])) {
				if lv := normalizeLevel(b2s(w)); lv != "" {
					return lv
				}
			}
			start = -1
		}
	}
	return ""
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
