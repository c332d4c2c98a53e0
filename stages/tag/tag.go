package tag

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"regexp"
	"regexp/syntax"
	"slices"
	"sync"

	"github.com/recap-dev/recap/config"
	"github.com/recap-dev/recap/pipeline"
)

func init() { pipeline.RegisterStage("tag", New) }

type options struct {
	Dictionary      string       `yaml:"dictionary"`
	DictionaryFiles []string     `yaml:"dictionary_files"`
	Fields          []string     `yaml:"fields"`
	Rules           []ruleConfig `yaml:"rules"`
}

type ruleConfig struct {
	Tag    string   `yaml:"tag,required"`
	Any    []string `yaml:"any"`
	All    []string `yaml:"all"`
	None   []string `yaml:"none"`
	Regex  string   `yaml:"regex"`
	Fields []string `yaml:"fields"`
}

// field is a set of entry fields, as bits.
type field uint8

const (
	fieldTitle field = 1 << iota
	fieldText
	fieldURL
	fieldSource
	fieldCategories
)

var fieldNames = map[string]field{
	"title":      fieldTitle,
	"text":       fieldText,
	"url":        fieldURL,
	"source":     fieldSource,
	"categories": fieldCategories,
}

// stringFields are the fields holding one string; categories hold a list.
var stringFields = [...]field{fieldTitle, fieldText, fieldURL, fieldSource}

func (f field) of(e *pipeline.Entry) string {
	switch f {
	case fieldTitle:
		return e.Title
	case fieldText:
		return e.Text
	case fieldURL:
		return e.URL
	case fieldSource:
		return e.Source
	}
	return ""
}

// tagger is the tag stage. It is immutable once built; per-call state lives in
// pooled scratch values, so Process is safe from several goroutines.
type tagger struct {
	match      *matcher  // nil when nothing is searched
	scanFields field     // fields the matcher reads
	dictFields field     // fields in which dictionary keywords count
	dictTags   [][]int32 // by keyword id: the dictionary tags it adds, implied ones included
	rules      []rule
	tagNames   []string // by tag id; ids follow sorted names, so tags are added in a stable order
	scratch    sync.Pool
}

type rule struct {
	tag            int32
	fields         field
	any, all, none []int32 // keyword ids
	regex          *regexp.Regexp
	regexHints     []int32 // substring keywords of which every regex match contains one; nil: always run it
}

// scratch is what tagging one entry needs; reset after each entry.
type scratch struct {
	hits hits
	tags []uint64 // bit set of tag ids
}

// New builds a tag stage from its options; it reads no files except the
// configured dictionary files. Configuration errors are config.Errors.
func New(env *pipeline.Env) (pipeline.Stage, error) {
	opts := options{Dictionary: "builtin", Fields: []string{"title", "text"}}
	decodeErrs := config.ErrorsOf(env.Options.Decode(&opts))
	dict, errs := loadDictionaries(env, opts)
	errs = append(decodeErrs, errs...)
	fields, err := parseFields(env.Options, "fields", opts.Fields)
	errs = appendErrors(errs, err)
	b := &builder{keywordID: map[keyword]int32{}}
	rules := make([]rule, len(opts.Rules))
	for i, rc := range opts.Rules {
		rules[i], err = b.rule(env.Options, fmt.Sprintf("rules[%d]", i), rc, fields)
		errs = appendErrors(errs, err)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	t, err := b.tagger(dict, fields, rules)
	if err != nil {
		return nil, env.Options.Errorf("", "%v", err)
	}
	return t, nil
}

// loadDictionaries merges the builtin dictionary (unless none) and the
// configured files, in order.
func loadDictionaries(env *pipeline.Env, opts options) (*dictionary, config.Errors) {
	var errs config.Errors
	dict := newDictionary()
	switch opts.Dictionary {
	case "builtin":
		errs = appendErrors(errs, dict.load(builtinFile, builtinDictionary))
	case "none":
	default:
		errs = append(errs, env.Options.Errorf("dictionary", "want builtin or none, got %q", opts.Dictionary))
	}
	for i, p := range opts.DictionaryFiles {
		path := env.Path(p)
		data, err := readDictionaryFile(path)
		if err != nil {
			errs = append(errs, env.Options.Errorf(fmt.Sprintf("dictionary_files[%d]", i), "%v", err))
			continue
		}
		errs = appendErrors(errs, dict.load(path, data))
	}
	return dict, errs
}

// appendErrors adds the configuration errors in err to errs.
func appendErrors(errs config.Errors, err error) config.Errors {
	var list config.Errors
	var one *config.Error
	switch {
	case errors.As(err, &list):
		return append(errs, list...)
	case errors.As(err, &one):
		return append(errs, one)
	case err != nil:
		return append(errs, &config.Error{Msg: err.Error()})
	}
	return errs
}

// parseFields turns field names into a set; key locates errors.
func parseFields(o config.Options, key string, names []string) (field, error) {
	if len(names) == 0 {
		return 0, o.Errorf(key, "name at least one field (title, text, url, source, categories)")
	}
	var set field
	var errs config.Errors
	for i, name := range names {
		f, ok := fieldNames[name]
		if !ok {
			errs = append(errs, o.Errorf(fmt.Sprintf("%s[%d]", key, i), "unknown field %q (known: title, text, url, source, categories)", name))
		}
		set |= f
	}
	return set, errs.Err()
}

// builder numbers keywords, sharing one id between equal keywords of the
// dictionary and the rules.
type builder struct {
	keywordID map[keyword]int32
	list      []keyword
	dictTags  [][]int32 // by keyword id
	ruleTags  []string  // by rule
}

// tagger numbers every tag the stage can add, adds the dictionary's keywords
// and compiles the automaton.
func (b *builder) tagger(dict *dictionary, fields field, rules []rule) (*tagger, error) {
	dictTags := dict.tags()
	expanded := make([][]string, len(dictTags))
	names := slices.Clone(b.ruleTags)
	for i, tag := range dictTags {
		expanded[i] = dict.expand(tag)
		names = append(names, expanded[i]...)
	}
	slices.Sort(names)
	t := &tagger{dictFields: fields, rules: rules, tagNames: slices.Compact(names)}
	tagID := make(map[string]int32, len(t.tagNames))
	for id, name := range t.tagNames {
		tagID[name] = int32(id)
	}

	for i, tag := range dictTags {
		var ids []int32
		for _, tag := range expanded[i] {
			ids = append(ids, tagID[tag])
		}
		term := dict.terms[tag]
		for _, k := range slices.Concat(b.keywords(term.aliases, false), b.keywords(term.exact, true)) {
			b.dictTags[k] = appendNew(b.dictTags[k], ids...)
		}
	}
	if len(dictTags) > 0 {
		t.scanFields = fields
	}
	for i := range t.rules {
		r := &t.rules[i]
		r.tag = tagID[b.ruleTags[i]]
		if len(r.any)+len(r.all)+len(r.none)+len(r.regexHints) > 0 {
			t.scanFields |= r.fields
		}
	}
	t.dictTags = b.dictTags
	if len(b.list) > 0 {
		m, err := newMatcher(b.list)
		if err != nil {
			return nil, err
		}
		t.match = m
	}
	nKeywords, nTags := len(b.list), len(t.tagNames)
	t.scratch.New = func() any {
		return &scratch{hits: hits{fields: make([]field, nKeywords)}, tags: make([]uint64, (nTags+63)/64)}
	}
	return t, nil
}

func (b *builder) keywords(texts []string, exact bool) []int32 {
	ids := make([]int32, len(texts))
	for i, text := range texts {
		ids[i] = b.keyword(keyword{text: text, exact: exact})
	}
	return ids
}

func (b *builder) keyword(k keyword) int32 {
	id, ok := b.keywordID[k]
	if !ok {
		id = int32(len(b.list))
		b.keywordID[k] = id
		b.list = append(b.list, k)
		b.dictTags = append(b.dictTags, nil)
	}
	return id
}

// rule compiles one configured rule; key is its path in the options, such as
// rules[2]. Its tag id is set once every tag is known.
func (b *builder) rule(o config.Options, key string, rc ruleConfig, defaultFields field) (rule, error) {
	var errs config.Errors
	tag := pipeline.NormalizeTag(rc.Tag)
	b.ruleTags = append(b.ruleTags, tag)
	if tag == "" {
		errs = append(errs, o.Errorf(key+".tag", "%q is not a usable tag: it needs a letter or digit", rc.Tag))
	}
	if len(rc.Any)+len(rc.All) == 0 && rc.Regex == "" {
		errs = append(errs, o.Errorf(key, "a rule needs any, all or regex (none alone would tag everything without those words)"))
	}
	r := rule{fields: defaultFields}
	if rc.Fields != nil {
		f, err := parseFields(o, key+".fields", rc.Fields)
		errs = appendErrors(errs, err)
		r.fields = f
	}
	keywords := func(name string, list []string) []int32 {
		texts := normalizeKeywords(list, false, func(j int) {
			errs = append(errs, o.Errorf(fmt.Sprintf("%s.%s[%d]", key, name, j), "empty keyword"))
		})
		return b.keywords(texts, false)
	}
	r.any, r.all, r.none = keywords("any", rc.Any), keywords("all", rc.All), keywords("none", rc.None)
	if rc.Regex != "" {
		re, err := regexp.Compile(rc.Regex)
		if err != nil {
			return r, append(errs, o.Errorf(key+".regex", "%v", err))
		}
		r.regex = re
		parsed, _ := syntax.Parse(rc.Regex, syntax.Perl) // as regexp.Compile did
		for _, lit := range requiredLiterals(parsed) {
			r.regexHints = append(r.regexHints, b.keyword(keyword{text: lit, substring: true}))
		}
	}
	return r, errs.Err()
}

// Process adds tags to every entry of c in place.
func (t *tagger) Process(_ context.Context, c *pipeline.Chunk) error {
	sc := t.scratch.Get().(*scratch)
	defer t.scratch.Put(sc)
	for i := range c.Entries {
		t.tag(&c.Entries[i], sc)
	}
	return nil
}

func (t *tagger) tag(e *pipeline.Entry, sc *scratch) {
	h := &sc.hits
	if t.match != nil {
		for _, f := range stringFields {
			if t.scanFields&f != 0 {
				t.match.scan(f.of(e), f, h)
			}
		}
		if t.scanFields&fieldCategories != 0 {
			for _, c := range e.Categories {
				t.match.scan(c, fieldCategories, h)
			}
		}
	}
	for _, id := range h.found {
		if h.fields[id]&t.dictFields != 0 {
			for _, tag := range t.dictTags[id] {
				sc.tags[tag/64] |= 1 << (tag % 64)
			}
		}
	}
	for i := range t.rules {
		if r := &t.rules[i]; r.matches(e, h) {
			sc.tags[r.tag/64] |= 1 << (r.tag % 64)
		}
	}
	for w, set := range sc.tags {
		for ; set != 0; set &= set - 1 {
			e.AddTag(t.tagNames[w*64+bits.TrailingZeros64(set)])
		}
		sc.tags[w] = 0
	}
	h.reset()
}

func (r *rule) matches(e *pipeline.Entry, h *hits) bool {
	occurs := func(id int32) bool { return h.fields[id]&r.fields != 0 }
	if len(r.any) > 0 && !slices.ContainsFunc(r.any, occurs) {
		return false
	}
	for _, id := range r.all {
		if !occurs(id) {
			return false
		}
	}
	if slices.ContainsFunc(r.none, occurs) {
		return false
	}
	if r.regex == nil {
		return true
	}
	if r.regexHints != nil && !slices.ContainsFunc(r.regexHints, occurs) {
		return false
	}
	return r.regexMatches(e)
}

func (r *rule) regexMatches(e *pipeline.Entry) bool {
	for _, f := range stringFields {
		if r.fields&f != 0 && r.regex.MatchString(f.of(e)) {
			return true
		}
	}
	if r.fields&fieldCategories != 0 {
		for _, c := range e.Categories {
			if r.regex.MatchString(c) {
				return true
			}
		}
	}
	return false
}
