package text

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// scriptMarker is appended inside a script element to every fuzz input.
const scriptMarker = "Qx7ScriptMarker"

func FuzzHTMLToText(f *testing.F) {
	for _, name := range []string{
		"feedparser-entry_content_crazy.xml",
		"feedparser-large_atom_feed_that_needs_css_sanitisation.xml",
		"feedjira-AtomEscapedHTMLInPreTag.xml",
		"feedparser-double-encoded-html.xml",
	} {
		for _, e := range readXMLFeed(f, name) {
			f.Add(e.html())
		}
	}
	for _, it := range readJSONFeed(f, "rsparser-DaringFireball.json").Items {
		f.Add(it.ContentHTML)
	}
	f.Add(blogPost)
	f.Fuzz(func(t *testing.T, in string) {
		in += "<script>" + scriptMarker + "</script>"
		out, _ := htmlToText(in, 1<<20, false)
		assertPlain(t, out)
		// The worst expansion is one byte of invalid UTF-8 becoming U+FFFD.
		if len(out) > 3*len(in) {
			t.Errorf("%d bytes of HTML gave %d bytes of text", len(in), len(out))
		}
		if strings.Contains(out, scriptMarker) && !visibleOutsideScript(in, scriptMarker) {
			t.Errorf("script content leaked: %q", out)
		}
		// Plain text escaped into <pre> converts back to itself. References that
		// survive one decoding and mojibake lead characters are excluded: they
		// are decoded again by design.
		if !strings.ContainsAny(out, "&ÂÃÐÑâ") {
			again, _ := htmlToText("<pre>"+html.EscapeString(out)+"</pre>", 1<<20, false)
			if again != out {
				t.Errorf("not a fixed point:\n%q\n%q", out, again)
			}
		}
		if clean, _ := cleanText(out, 1<<20); clean != out {
			t.Errorf("converted text is not clean: %q", out)
		}
	})
}

// visibleOutsideScript reports whether a browser's parse of doc puts marker in
// text that is not inside a script or style element (where an input such as
// `<a <script>` has turned the appended script tag into an attribute, say).
func visibleOutsideScript(doc, marker string) bool {
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		return true
	}
	var visible func(n *html.Node, inScript bool) bool
	visible = func(n *html.Node, inScript bool) bool {
		if n.Type == html.ElementNode && (n.DataAtom == atom.Script || n.DataAtom == atom.Style) {
			inScript = true
		}
		if n.Type == html.TextNode && !inScript && strings.Contains(n.Data, marker) {
			return true
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if visible(c, inScript) {
				return true
			}
		}
		return false
	}
	return visible(root, false)
}

func FuzzCleanText(f *testing.F) {
	f.Add("ts=2024-05-01T12:00:00Z level=info msg=ok")
	f.Add("a\x00b\r\n\tc\x1b[31m \xff\xfed \u0085")
	f.Fuzz(func(t *testing.T, in string) {
		out, cut := cleanText(in, 64)
		if !utf8.ValidString(out) || len(out) > 64 {
			t.Errorf("cleanText(%q) = %q", in, out)
		}
		if again, againCut := cleanText(out, 64); again != out || againCut {
			t.Errorf("not idempotent: %q then %q", out, again)
		}
		if !cut && len(in) <= 64 && dirtyAt(in) == len(in) && out != in {
			t.Errorf("clean text changed: %q to %q", in, out)
		}
		countWords(out)
	})
}
