package text

import (
	"strings"
	"testing"
	"time"
)

func TestHTMLToText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"paragraphs", "<p>Hello <b>world</b>!</p><p>Second   para\ngraph.</p>", "Hello world!\n\nSecond para graph."},
		{"inline elements join", "a<span>b</span><em>c</em>", "abc"},
		{"leading and trailing space", "  <div>\n <p> text </p>\n</div>  ", "text"},
		{"br", "a<br>b<br/><br>c<br><br><br>d</br>e", "a\nb\n\nc\n\nd\ne"},
		{"list items", "Sponsored by:<ul><li>A one</li><li>B two<ul><li>nested</li></ul></li></ul>after", "Sponsored by:\n\nA one\nB two\nnested\n\nafter"},
		{"unclosed list items", "<ol><li>one<li>two</ol>", "one\ntwo"},
		{"headings and blocks", "<h2>Title</h2>intro<blockquote>quote</blockquote><section><article>body</article></section>", "Title\n\nintro\n\nquote\n\nbody"},
		{"table", "<table><tr><th>k</th><th>v</th></tr><tr><td>a<td>b</table>", "k v\na b"},
		{"pre keeps lines", "<p>code:</p><pre>\nfunc main() {\n\tfmt.Println(\"hi\")   \n\n\n}\n</pre>after", "code:\n\nfunc main() {\n\tfmt.Println(\"hi\")\n\n}\n\nafter"},
		{"entities", "caf&eacute; &lt;b&gt; &#8220;q&#8221; &nbsp;x&#x2026; AT&T", "café <b> “q” x… AT&T"},
		{"double escaped", "&amp;lt;p&amp;gt;text&amp;lt;/p&amp;gt; &amp;#8217; &amp;copy 2024", "<p>text</p> ’ &copy 2024"},
		{"mojibake", "â€œquotedâ€\u009d Ã©tÃ© â€¦ &#226;&#128;&#166;", "“quoted” été … …"},
		{"no mojibake", "SÃO PAULO, Ñandú, â la carte", "SÃO PAULO, Ñandú, â la carte"},
		{"comments and cdata", "a<!-- <p>comment</p> -->b<![CDATA[cdata]]>c", "abc"},
		{"script and style", "a<script>alert(1)</script><style>p{color:red}</style>b", "ab"},
		{"obfuscated script", "<scr<script>ipt>alert('x')</scr<script>ipt>after", "ipt>after"},
		{"script with glued attributes", `<script/src="x"type="text/javascript">alert(1)</script>ok`, "ok"},
		{"event handlers and links", `<img src=x onerror="alert(1)"><a href="javascript:alert(1)" onclick="evil()">link</a>`, "link"},
		{"dropped elements", "<svg><text>svg</text></svg><math><mi>x</mi></math><template>t</template><iframe>i</iframe><object>o</object><select><option>s</select><textarea>ta</textarea><button>b</button>kept", "kept"},
		{"hidden", `<div hidden>h1</div><span aria-hidden="true">h2</span><p style="color:red; DISPLAY : none !important">h3</p><i style="visibility:hidden">h4</i>shown`, "shown"},
		{"not hidden", `<span aria-hidden="false">a</span> <span style="display:block">b</span>`, "a b"},
		{"hidden ends with its parent", `<div><span hidden>x</div>after`, "after"},
		{"hidden paragraph closed by the next", `<p hidden>x<p>visible`, "visible"},
		{"hidden item closed by the next", `<ul><li style="display:none">x<li>y</ul>`, "y"},
		{"hidden cell closed by the next", `<table><tr><td hidden>x<td>y</tr></table>`, "y"},
		{"nested hidden", `<div hidden><div>a</div>b<div hidden>c</div>d</div>e`, "e"},
		{"self-closing xhtml", `<span hidden="hidden"/>visible`, "visible"},
		{"self-closing script is still raw", `<script/>alert(1)</script>ok`, "ok"},
		{"unclosed tags keep text", "<b>unclosed <i>tags <p>and more", "unclosed tags\n\nand more"},
		{"stray end tags", "text</p>more</div>end</span>", "text\n\nmore\n\nend"},
		{"truncated tag at the end", "text<a href=", "text"},
		{"lone angle brackets", "a < b > c <3 <> d", "a < b > c <3 <> d"},
		{"head", "<html><head><title>T</title><meta charset=utf-8><link rel=x></head><body>body</body></html>", "body"},
		{"unclosed head", "<html><head><meta charset=utf-8><title>T</title><style>x</style><body><p>body", "body"},
		{"control characters", "a\x00b\x01c\x7fd\u009fe", "abcde"},
		{"invalid UTF-8", "a\xff\xfeb\xc3c\xff \xff", "a\ufffdb\ufffdc\ufffd \ufffd"},
		{"empty", "", ""},
		{"only markup", "<div><br><p></p></div>", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, cut := htmlToText(tc.in, 1<<20, false)
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if cut {
				t.Error("reported as truncated")
			}
		})
	}
}

func TestHTMLTitle(t *testing.T) {
	got, _ := htmlToText("<b>Bold</b> &amp; <br>broken\n<p>title</p>", 1024, true)
	if want := "Bold & broken title"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestHTMLTruncation(t *testing.T) {
	got, cut := htmlToText("<p>"+strings.Repeat("word ", 100)+"</p>", 22, false)
	if got != "word word word word wo" || !cut {
		t.Errorf("got %q, %v", got, cut)
	}
	got, cut = htmlToText(strings.Repeat("€", 10), 10, false) // 3-byte characters
	if got != "€€€" || !cut {
		t.Errorf("got %q, %v", got, cut)
	}
}

// Hostile inputs must finish in linear time and never leak script content.
func TestHTMLHostile(t *testing.T) {
	size := 10 << 20
	if raceEnabled {
		size = 1 << 20
	}
	repeat := func(s string) string { return strings.Repeat(s, size/len(s)) }
	for _, tc := range []struct {
		name, in string
		check    func(t *testing.T, out string)
	}{
		{"deep nesting", repeat("<div>") + "deep" + repeat("</div>"), wantContains("deep")},
		{"deep unclosed nesting", repeat("<div><span><b>") + "x", wantContains("x")},
		{"deep hidden nesting", repeat("<div hidden>") + "secret" + repeat("</div>") + "shown", wantExactly("shown")},
		{"unmatched end tags", "<div><p>" + repeat("</x>") + "y", wantExactly("y")},
		{"implied ends over many inline tags", "<p>" + repeat("<b>") + repeat("<p>x"), wantContains("x")},
		{"huge text", repeat("lorem ipsum "), func(t *testing.T, out string) {
			if len(out) != len(repeat("lorem ipsum "))-1 { // without the trailing space
				t.Errorf("got %d bytes", len(out))
			}
		}},
		{"many scripts", repeat("<script>alert(1)</script>a"), wantNot("alert")},
		{"obfuscated scripts", repeat("<scr<script>ipt>alert(1)</scr<script>ipt>"), wantNot("alert")},
		{"unclosed script", "ok<script>" + repeat("alert(1);"), wantExactly("ok")},
		{"unclosed comment", "ok<!--" + repeat("<script>alert(1)</script>"), wantExactly("ok")},
		{"many attributes", "<p " + repeat(`a="b" `) + ">x", wantExactly("x")},
		{"entities", repeat("&amp;lt;"), wantPrefix("<<<")},
		{"mojibake", repeat("â€¦"), wantPrefix("………")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			out, _ := htmlToText(tc.in, 64<<20, false)
			// Generous for a busy machine; quadratic behaviour would take hours.
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
			assertPlain(t, out)
			tc.check(t, out)
		})
	}
}

func wantContains(s string) func(*testing.T, string) {
	return func(t *testing.T, out string) {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q", s)
		}
	}
}

func wantNot(s string) func(*testing.T, string) {
	return func(t *testing.T, out string) {
		if strings.Contains(out, s) {
			t.Errorf("output contains %q", s)
		}
	}
}

func wantExactly(s string) func(*testing.T, string) {
	return func(t *testing.T, out string) {
		if out != s {
			t.Errorf("got %.80q, want %q", out, s)
		}
	}
}

func wantPrefix(s string) func(*testing.T, string) {
	return func(t *testing.T, out string) {
		if !strings.HasPrefix(out, s) {
			t.Errorf("got %.80q, want prefix %q", out, s)
		}
	}
}
