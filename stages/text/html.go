package text

import (
	"bytes"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxDepth bounds the open-element stack. Deeper elements are not tracked, so
// hostile nesting costs no more memory; a dropped subtree that starts beyond it
// extends to the end of the last tracked element, losing text rather than
// leaking it.
const maxDepth = 512

// maxImpliedScan bounds how far down the stack a start tag looks for elements
// it closes implicitly, keeping every tag O(1).
const maxImpliedScan = 32

// htmlToText converts an HTML document or fragment into plain text: tags,
// comments and dropped subtrees (scripts, styles, hidden elements, ...)
// removed, entities decoded, paragraphs separated by "\n\n". It tokenizes once,
// in linear time, and stops as soon as limit bytes of text are written,
// reporting whether the text was cut. With singleLine, breaks become spaces.
func htmlToText(src string, limit int, singleLine bool) (string, bool) {
	c := converter{
		z:    html.NewTokenizer(strings.NewReader(src)),
		w:    writer{limit: limit, singleLine: singleLine, buf: make([]byte, 0, min(len(src), limit)+16)},
		open: map[string]int{},
		skip: -1,
	}
	c.run()
	return c.w.finish()
}

type element struct {
	a    atom.Atom
	name string
	kind kind
}

type converter struct {
	z     *html.Tokenizer
	w     writer
	stack []element
	open  map[string]int // elements on the stack per name, so an unmatched end tag costs O(1)
	skip  int            // content is dropped while len(stack) > skip; -1 when nothing is
	pre   int            // open elements that keep whitespace
	items int            // open list items, inside which a nested list is only a line break
}

func (c *converter) dropping() bool { return c.skip >= 0 && len(c.stack) > c.skip }

func (c *converter) run() {
	for !c.w.full {
		switch tt := c.z.Next(); tt {
		case html.ErrorToken:
			return // io.EOF: reading from a string fails in no other way
		case html.TextToken:
			if !c.dropping() {
				c.text(c.z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			c.startTag(tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			c.endTag()
		}
	}
}

// tagName returns the element name to judge a tag by. A name with '<' in it is
// the residue of a filter-evasion trick such as "<scr<script>ipt>"; its last
// part is what a naive filter would have left behind, so that is what counts.
func (c *converter) tagName() (name []byte, a atom.Atom, hasAttr bool) {
	name, hasAttr = c.z.TagName()
	if i := bytes.LastIndexByte(name, '<'); i >= 0 {
		name = name[i+1:]
	}
	return name, atom.Lookup(name), hasAttr
}

// rawText lists the elements whose content the tokenizer returns unparsed, as
// one text token ("<script>a<b>c</script>"), even when written self-closing.
var rawText = map[atom.Atom]bool{
	atom.Iframe: true, atom.Noembed: true, atom.Noframes: true, atom.Noscript: true,
	atom.Plaintext: true, atom.Script: true, atom.Style: true, atom.Textarea: true,
	atom.Title: true, atom.Xmp: true,
}

func (c *converter) startTag(selfClosing bool) {
	name, a, hasAttr := c.tagName()
	k := kinds[a]
	if im, ok := impliedBy(a); ok {
		c.closeImplied(im)
	}
	hidden := k&drop != 0 || hasAttr && c.hiddenByAttributes()
	if !hidden && !c.dropping() {
		c.breakFor(a, k)
	}
	// Feeds carry XHTML, where "<span/>" is an empty element; honour that,
	// except where the tokenizer has switched to raw text regardless.
	if k&void != 0 || selfClosing && !rawText[a] {
		return
	}
	c.push(name, a, k)
	if hidden && !c.dropping() {
		c.skip = len(c.stack) - 1
	}
}

func (c *converter) endTag() {
	name, a, _ := c.tagName()
	if c.open[string(name)] == 0 {
		// Nothing to close, but "</p>" or "</br>" still breaks the line in a browser.
		if !c.dropping() {
			c.breakFor(a, kinds[a])
		}
		return
	}
	for {
		top := c.stack[len(c.stack)-1].name
		c.pop()
		if top == string(name) {
			return
		}
	}
}

func (c *converter) push(name []byte, a atom.Atom, k kind) {
	if len(c.stack) == maxDepth {
		return
	}
	s := a.String()
	if a == 0 {
		s = string(name)
	}
	c.stack = append(c.stack, element{a, s, k})
	c.open[s]++
	if k&preformatted != 0 {
		c.pre++
	}
	if a == atom.Li {
		c.items++
	}
}

func (c *converter) pop() {
	e := c.stack[len(c.stack)-1]
	if !c.dropping() {
		c.breakFor(e.a, e.kind)
	}
	c.stack = c.stack[:len(c.stack)-1]
	if c.open[e.name]--; c.open[e.name] == 0 {
		delete(c.open, e.name)
	}
	if e.kind&preformatted != 0 {
		c.pre--
	}
	if e.a == atom.Li {
		c.items--
	}
	if len(c.stack) <= c.skip {
		c.skip = -1
	}
}

// closeImplied ends the elements a start tag closes implicitly: it looks down
// the stack through the elements im allows for the nearest match, and on
// through adjacent matches ("<tr><td>" for a new row), and closes them.
func (c *converter) closeImplied(im implied) {
	if !slices.ContainsFunc(im.closes, func(a atom.Atom) bool { return c.open[a.String()] > 0 }) {
		return
	}
	target := -1
scan:
	for i := len(c.stack) - 1; i >= 0 && i >= len(c.stack)-maxImpliedScan; i-- {
		switch e := c.stack[i]; {
		case slices.Contains(im.closes, e.a):
			target = i
		case target >= 0 || e.kind&im.through == 0 || e.a == atom.Table:
			break scan
		}
	}
	for target >= 0 && len(c.stack) > target {
		c.pop()
	}
}

// breakFor writes the separation an element's start or end makes.
func (c *converter) breakFor(a atom.Atom, k kind) {
	switch {
	case a == atom.Br:
		c.w.lineBreak()
	case k&block != 0:
		c.w.paragraphBreak()
	case k&list != 0 && c.items > 0:
		c.w.lineEnd()
	case k&list != 0:
		c.w.paragraphBreak()
	case k&line != 0:
		c.w.lineEnd()
	case k&cell != 0:
		c.w.wordBreak()
	}
}

// hiddenByAttributes reports whether the current start tag hides its element
// the ways pages hide text: the hidden attribute, aria-hidden, or inline CSS.
func (c *converter) hiddenByAttributes() bool {
	for more := true; more; {
		var key, val []byte
		key, val, more = c.z.TagAttr()
		switch string(key) {
		case "hidden":
			return true
		case "aria-hidden":
			if bytes.EqualFold(bytes.TrimSpace(val), []byte("true")) {
				return true
			}
		case "style":
			if styleHides(val) {
				return true
			}
		}
	}
	return false
}

// styleHides reports whether inline CSS sets display:none or visibility:hidden
// (or collapse), in any case and spacing, with or without !important.
func styleHides(style []byte) bool {
	for decl := range bytes.SplitSeq(style, []byte(";")) {
		prop, value, ok := bytes.Cut(decl, []byte(":"))
		if !ok {
			continue
		}
		prop = bytes.TrimSpace(prop)
		value, _, _ = bytes.Cut(value, []byte("!"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(prop, []byte("display")):
			if bytes.EqualFold(value, []byte("none")) {
				return true
			}
		case bytes.EqualFold(prop, []byte("visibility")):
			if bytes.EqualFold(value, []byte("hidden")) || bytes.EqualFold(value, []byte("collapse")) {
				return true
			}
		}
	}
	return false
}

func (c *converter) text(b []byte) {
	if bytes.IndexByte(b, '&') >= 0 {
		b = unescapeAgain(b)
	}
	b = repairMojibake(b)
	c.w.text(b, c.pre > 0)
}

// unescapeAgain decodes the character references left after the tokenizer's
// decoding, which is what double-escaped feed text ("&amp;lt;p&amp;gt;") looks
// like; the result is literal text, never parsed again. Only complete
// references ending in ';' count, so "AT&T" and "&copy 2024" stay as written.
func unescapeAgain(b []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '&' {
			continue
		}
		n := referenceLen(b[i:])
		if n == 0 {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(b))
		}
		out = append(out, b[last:i]...)
		out = append(out, html.UnescapeString(string(b[i:i+n]))...)
		last = i + n
		i += n - 1
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// referenceLen returns the length of the character reference b starts with
// ("&amp;", "&#8217;", "&#x2026;"), or 0.
func referenceLen(b []byte) int {
	const maxLen = 34 // "&CounterClockwiseContourIntegral;" is the longest name
	i := 1
	isChar := isAlnum
	switch {
	case len(b) > 2 && b[1] == '#' && (b[2] == 'x' || b[2] == 'X'):
		i, isChar = 3, isHex
	case len(b) > 1 && b[1] == '#':
		i, isChar = 2, isDigit
	}
	start := i
	for i < len(b) && i < maxLen && isChar(b[i]) {
		i++
	}
	if i == start || i >= len(b) || b[i] != ';' {
		return 0
	}
	return i + 1
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
func isAlnum(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
