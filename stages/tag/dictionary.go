package tag

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/recap-dev/recap/config"
	"github.com/recap-dev/recap/pipeline"
)

//go:embed dictionary.yaml
var builtinDictionary []byte

// builtinFile names the embedded dictionary in error messages.
const builtinFile = "builtin dictionary (stages/tag/dictionary.yaml)"

// dictFile is the format of dictionary.yaml and of user dictionary files.
type dictFile struct {
	Tags []dictEntry `yaml:"tags,required"`
}

type dictEntry struct {
	Tag      string   `yaml:"tag,required"`
	Aliases  []string `yaml:"aliases"`
	Exact    []string `yaml:"exact"`
	Implies  []string `yaml:"implies"`
	Replace  bool     `yaml:"replace"`
	Disabled bool     `yaml:"disabled"`
}

// term is a dictionary tag after merging: the keywords that add it and the
// tags it implies, all normalised.
type term struct {
	aliases, exact, implies []string
}

// dictionary merges dictionary files in order: a later entry for the same tag
// extends the earlier one, replaces it (replace: true) or removes it
// (disabled: true).
type dictionary struct {
	terms    map[string]*term
	disabled map[string]bool
}

func newDictionary() *dictionary {
	return &dictionary{terms: map[string]*term{}, disabled: map[string]bool{}}
}

// readDictionaryFile reads a user dictionary, bounded like a config file.
func readDictionaryFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, config.MaxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > config.MaxConfigBytes {
		return nil, fmt.Errorf("%s is larger than %s", path, config.Size(config.MaxConfigBytes))
	}
	return data, nil
}

// load checks a dictionary file and, when it has no errors, merges it in.
// The error is a config.Errors naming file, line and key.
func (d *dictionary) load(file string, data []byte) error {
	opts, err := config.NewOptions(file, "", string(data))
	if err != nil {
		return err
	}
	var f dictFile
	if err := opts.Decode(&f); err != nil {
		return err
	}
	// The nodes give the lines of the keys the checks below complain about.
	// NewOptions parsed the same text with the same parser, so this cannot fail.
	var doc yaml.Node
	_ = yaml.Unmarshal(data, &doc)
	var errs config.Errors
	errorf := func(path []any, format string, args ...any) {
		n := nodeAt(&doc, append([]any{"tags"}, path...)...)
		errs = append(errs, &config.Error{File: file, Line: n.Line, Column: n.Column, Path: keyPath(path), Msg: fmt.Sprintf(format, args...)})
	}

	parsed := make([]struct {
		tag string
		term
	}, len(f.Tags))
	seen := map[string]int{}
	for i, e := range f.Tags {
		tag := pipeline.NormalizeTag(e.Tag)
		if tag == "" {
			errorf([]any{i, "tag"}, "%q is not a usable tag: it needs a letter or digit", e.Tag)
			continue
		}
		if first, dup := seen[tag]; dup {
			errorf([]any{i, "tag"}, "tag %q is already listed as tags[%d]; merge the two entries", tag, first)
			continue
		}
		seen[tag] = i
		parsed[i].tag = tag
		t := &parsed[i].term
		t.aliases = normalizeKeywords(e.Aliases, false, func(j int) { errorf([]any{i, "aliases", j}, "empty keyword") })
		t.exact = normalizeKeywords(e.Exact, true, func(j int) { errorf([]any{i, "exact", j}, "empty keyword") })
		for j, s := range e.Implies {
			if implied := pipeline.NormalizeTag(s); implied != "" {
				t.implies = appendNew(t.implies, implied)
			} else {
				errorf([]any{i, "implies", j}, "%q is not a usable tag: it needs a letter or digit", s)
			}
		}
		switch _, defined := d.terms[tag]; {
		case e.Disabled && (e.Replace || len(e.Aliases)+len(e.Exact)+len(e.Implies) > 0):
			errorf([]any{i, "disabled"}, "a disabled entry takes no aliases, exact, implies or replace")
		case !e.Disabled && (e.Replace || !defined) && len(e.Aliases)+len(e.Exact) == 0:
			errorf([]any{i}, "tag %q needs aliases or exact keywords", tag)
		}
	}
	if len(errs) > 0 {
		return errs
	}

	for i, e := range f.Tags {
		tag, t := parsed[i].tag, parsed[i].term
		old, defined := d.terms[tag]
		switch {
		case e.Disabled:
			delete(d.terms, tag)
			d.disabled[tag] = true
		case e.Replace || !defined:
			d.terms[tag] = &t
			delete(d.disabled, tag)
		default:
			old.aliases = appendNew(old.aliases, t.aliases...)
			old.exact = appendNew(old.exact, t.exact...)
			old.implies = appendNew(old.implies, t.implies...)
		}
	}
	return nil
}

// tags returns the dictionary's tags in sorted order.
func (d *dictionary) tags() []string {
	tags := make([]string, 0, len(d.terms))
	for tag := range d.terms {
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	return tags
}

// expand returns tag and every tag it implies, transitively, leaving out
// disabled tags: disabling a tag removes it from the whole dictionary.
func (d *dictionary) expand(tag string) []string {
	var out []string
	var visit func(string)
	visit = func(tag string) {
		if d.disabled[tag] || slices.Contains(out, tag) {
			return
		}
		out = append(out, tag)
		if t := d.terms[tag]; t != nil {
			for _, implied := range t.implies {
				visit(implied)
			}
		}
	}
	visit(tag)
	return out
}

// normalizeKeywords collapses each keyword (and lower-cases it unless exact),
// calling empty with the index of each that has nothing left.
func normalizeKeywords(list []string, exact bool, empty func(int)) []string {
	var out []string
	for j, s := range list {
		k := normalizeKeyword(s, exact)
		if k.text == "" {
			empty(j)
			continue
		}
		out = appendNew(out, k.text)
	}
	return out
}

// normalizeKeyword brings a configured phrase to the form the matcher
// compares: trimmed, whitespace runs as one space, ASCII lower case unless
// exact (so equal keywords share one id).
func normalizeKeyword(s string, exact bool) keyword {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isSpace(c):
			if b.Len() > 0 && i+1 < len(s) && !isSpace(s[i+1]) {
				b.WriteByte(' ')
			}
		case !exact:
			b.WriteByte(fold(c))
		default:
			b.WriteByte(c)
		}
	}
	return keyword{text: b.String(), exact: exact}
}

func appendNew[T comparable](list []T, items ...T) []T {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

// nodeAt follows path (mapping keys and sequence indexes) from the document
// root as far as it exists, for the line of an error.
func nodeAt(doc *yaml.Node, path ...any) *yaml.Node {
	n := doc
	if len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range path {
		var child *yaml.Node
		switch p := p.(type) {
		case string:
			for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					child = n.Content[i+1]
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && p < len(n.Content) {
				child = n.Content[p]
			}
		}
		if child == nil {
			break
		}
		n = child
	}
	return n
}

// keyPath writes an error path under tags, such as tags[3].aliases[1].
func keyPath(path []any) string {
	var b strings.Builder
	b.WriteString("tags")
	for _, p := range path {
		switch p := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		case string:
			b.WriteString("." + p)
		}
	}
	return b.String()
}
