package transcript

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/traditionalchinese"
)

func mustParse(t *testing.T, name, text string) *Transcript {
	t.Helper()
	tr, err := Parse(name, []byte(text))
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	checkInvariants(t, tr)
	return tr
}

func texts(tr *Transcript) []string {
	var out []string
	for _, c := range tr.Cues {
		out = append(out, c.Text)
	}
	return out
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       error
	}{
		{"empty.vtt", "", ErrNoCues},
		{"empty", "", ErrUnknownFormat},
		{"header-only.vtt", "WEBVTT\n\n", ErrNoCues},
		{"header-only", "\uFEFFWEBVTT - title\nKind: captions\n\nNOTE nothing here\n", ErrNoCues},
		{"notes.txt", "some notes I took", nil},
		{"prose", "Just some prose, no extension, no signature.", ErrUnknownFormat},
		{"config.yaml", "title: x\n", ErrUnknownFormat},
		{"garbage.srt", "\x01\x02\x03\xff\xfe\x00\x00\x9c\x88" + strings.Repeat("\x00\x07", 50), ErrUnknownFormat},
		{"other.json", `{"items": [1, 2, 3]}`, ErrNoCues},
		{"broken.json", `{"segments": [`, ErrNoCues},
		{"page.html", "<html><body><h1>Hello</h1></body></html>", ErrNoCues},
		{"feed.xml", `<?xml version="1.0"?><rss><channel><title>x</title></channel></rss>`, ErrNoCues},
		{"only-bad.srt", "1\n00:00:0x,000 --> 00:00:01,000\nhello\n", ErrNoCues},
	} {
		_, err := Parse(tc.name, []byte(tc.text))
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestTooLarge(t *testing.T) {
	_, err := Parse("big.vtt", make([]byte, MaxInputBytes+1))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
}

func TestTruncatedLastCue(t *testing.T) {
	tr := mustParse(t, "t.vtt", "WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n\n00:01.000 --> 00:0")
	if len(tr.Cues) != 1 || tr.Skipped != 1 || tr.Cues[0].Text != "hello" {
		t.Fatalf("got %+v", tr)
	}
	tr = mustParse(t, "t.srt", "1\n00:00:01,000 --> 00:00:02,000\nhello\n\n2\n00:00:03,000 --> 00:00:04,000\n")
	if len(tr.Cues) != 1 || tr.Skipped != 0 {
		t.Fatalf("a cue cut before its text is dropped silently: %+v", tr)
	}
}

func TestTimestampsBackwardsAndOutOfRange(t *testing.T) {
	tr := mustParse(t, "t.srt", strings.Join([]string{
		"1", "00:00:10,000 --> 00:00:12,000", "first", "",
		"2", "00:00:02,000 --> 00:00:01,000", "second goes back and ends before it starts", "",
		"3", "-00:00:01,000 --> 00:00:02,000", "negative", "",
		"4", "99999999999999999999:00:00,000 --> 99999999999999999999:00:01,000", "overflow", "",
		"5", "1000000:00:00,000 --> 1000000:00:01,000", "past max hours", "",
		"6", "00:61:00,000 --> 00:62:00,000", "minutes over 59", "",
		"7", "00:00:20,000 --> 00:00:21,000", "last",
	}, "\n"))
	if got := texts(tr); !equalStrings(got, []string{"first", "second goes back and ends before it starts", "last"}) {
		t.Fatalf("texts %q", got)
	}
	if tr.Skipped != 4 {
		t.Errorf("skipped %d, want 4 (%q)", tr.Skipped, tr.Problems)
	}
	if c := tr.Cues[1]; c.Start != 2*time.Second || c.End != c.Start {
		t.Errorf("backwards cue %v-%v, want its end clamped to its start", c.Start, c.End)
	}
}

func equalStrings(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

func TestClock(t *testing.T) {
	for _, tc := range []struct {
		in    string
		rules clockRules
		ms    int64
		ok    bool
	}{
		{"00:00:01.000", vttClock, 1000, true},
		{"01:02.345", vttClock, 62345, true},
		{"000:00:00.000", vttClock, 0, true},
		{"123:00:00.000", vttClock, 123 * 3600000, true},
		{"00:01:39", vttClock, 99000, true},
		{"00:01:41.04", vttClock, 101040, true},
		{"00:00:00.5", vttClock, 500, true},
		{"00:00:00,500", vttClock, 500, true},
		{"0:0:7,560", vttClock, 0, false},
		{"0:0:7,560", srtClock, 7560, true},
		{"00:00:00.0000", vttClock, 0, false},
		{"00:00.0000", srtClock, 0, false},
		{"00::00.000", vttClock, 0, false},
		{"00:000:00.000", vttClock, 0, false},
		{"00:00:000.000", srtClock, 0, false},
		{"00:00:00..000", vttClock, 0, false},
		{"000:00.000", vttClock, 0, false},
		{"00:60.000", vttClock, 0, false},
		{"00:00:01\uFFFD", vttClock, 0, false},
		{"00:00:01.0\uFFFD", vttClock, 0, false},
		{"-00:00:01.000", vttClock, 0, false},
		{"12345678:00:00.000", vttClock, 0, false},
		{"75:30", srtClock, 4530000, true},
		{"1:02:03.5", srtClock, 3723500, true},
		{"", srtClock, 0, false},
		{"12", srtClock, 0, false},
	} {
		d, i, ok := scanClock(tc.in, 0, tc.rules)
		if ok && i != len(tc.in) && !strings.ContainsRune(" \t", rune(tc.in[i])) {
			ok = false // a valid timestamp followed by junk is the timing line's business
		}
		if ok != tc.ok || (ok && d.Milliseconds() != tc.ms) {
			t.Errorf("scanClock(%q, %+v) = %v, %v; want %d ms, %v", tc.in, tc.rules, d, ok, tc.ms, tc.ok)
		}
	}
}

var formatNames = []string{"big.txt", "big.vtt", "big.srt", "big.sbv", "big.md", "big.xml", "big.json", "big.html", "big"}

// parseQuickly parses data under each of names, failing on a slow parse.
func parseQuickly(t *testing.T, data []byte, budget time.Duration, names ...string) {
	t.Helper()
	for _, name := range names {
		start := time.Now()
		tr, err := Parse(name, data)
		if d := time.Since(start); d > budget {
			t.Errorf("%s of %q...: took %v", name, data[:8], d)
		}
		if err == nil {
			checkInvariants(t, tr)
		}
	}
}

func TestHugeSingleLine(t *testing.T) {
	line := []byte(strings.Repeat("word ", 2<<20)) // 10 MB
	// The budget is generous for -race on a busy machine; the work takes well under 1s.
	parseQuickly(t, line, 20*time.Second, "big.txt", "big.vtt", "big.srt", "big.md")
	tr, err := Parse("big.txt", line)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Cues) != 1 || len(tr.Cues[0].Text) > MaxCueTextBytes || len(tr.Cues[0].Text) < MaxCueTextBytes-8 || len(tr.Problems) != 1 {
		t.Fatalf("a 10 MB paragraph should be one truncated cue: %d cues, %q", len(tr.Cues), tr.Problems)
	}
}

// TestPathologicalLines feeds 128 KiB inputs built to defeat naive
// scanning: unclosed tags and entities, digit runs, arrows, labels. Work
// quadratic in the input would take minutes here; linear work takes
// milliseconds (seconds under -race on a loaded machine).
func TestPathologicalLines(t *testing.T) {
	for _, unit := range []string{"<a", "<", "<1", "&amp", "{\\", "0", "00:", "-->", "**A:** ", "a<<b>", "<v ", "&#", "\n\n", "-- >", "A: x\n", "1\n"} {
		parseQuickly(t, []byte(strings.Repeat(unit, (128<<10)/len(unit))), 15*time.Second, formatNames...)
	}
}

func TestCueCap(t *testing.T) {
	var sb strings.Builder
	for i := range 10 {
		fmt.Fprintf(&sb, "%d\n00:00:%02d,000 --> 00:00:%02d,500\ncue %d\n\n", i+1, i, i, i)
	}
	b := &builder{maxCues: 3}
	parseSRT(b, sb.String())
	if len(b.t.Cues) != 3 || !b.full || len(b.t.Problems) != 1 {
		t.Fatalf("cues %d, full %v, problems %q", len(b.t.Cues), b.full, b.t.Problems)
	}
}

func TestGarbageNeverPanics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 4096)
	for range 40 {
		for i := range buf {
			buf[i] = byte(rng.Uint32())
		}
		for _, name := range []string{"x.vtt", "x.srt", "x.txt", "x.xml", "x.json", "x.html", "x.md", "x.sbv"} {
			if tr, err := Parse(name, buf); err == nil {
				checkInvariants(t, tr)
			}
		}
	}
}

func TestMarkup(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<i>Hello</i> <b>bold</b> <u>u</u>", "Hello bold u"},
		{"<c.yellow.bg_blue>class</c> <lang en>lang</lang>", "class lang"},
		{`<font color="#ff0000">red</font>`, "red"},
		{"<ruby>漢<rt>かん</rt>字<rt>じ</rt></ruby>", "漢字"},
		{"<00:00:01.000>karaoke <00:01.500>words", "karaoke words"},
		{"a < b and c > d", "a < b and c > d"},
		{"I <3 Go", "I <3 Go"},
		{"x &lt;i&gt;escaped&lt;/i&gt; y", "x escaped y"},
		{"<<b>x", "x"},
		{"&lt;b unclosed", "b unclosed"},
		{"&amp;lt; stays one level", "&lt; stays one level"},
		{"fish &amp; chips &#x263A; &#9731;", "fish & chips ☺ ☃"},
		{"  many \t spaces\u00a0and\u2003em  ", "many spaces and em"},
		{"bell\acontrol\u0085", "bellcontrol"},
		{"<i>unterminated", "unterminated"},
		{"<!-- comment -->text", "text"},
	} {
		if got := plain(markupText(tc.in)); got != tc.want {
			t.Errorf("markup %q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestASSOverridesOnlyInSubtitles(t *testing.T) {
	tr := mustParse(t, "a.srt", "1\n00:00:01,000 --> 00:00:02,000\n{\\an8}{\\i1}Top{\\i0} line\n")
	if tr.Cues[0].Text != "Top line" {
		t.Errorf("srt: %q", tr.Cues[0].Text)
	}
	tr = mustParse(t, "a.md", "**A:** code like {\\x} stays\n")
	if tr.Cues[0].Text != "code like {\\x} stays" {
		t.Errorf("markdown: %q", tr.Cues[0].Text)
	}
}

func TestVTTVoices(t *testing.T) {
	tr := mustParse(t, "v.vtt", "WEBVTT\n\n00:00.000 --> 00:02.000\n<v.loud Esme Jones>Hi &amp; welcome</v>\n\n"+
		"00:02.000 --> 00:04.000\n<v Mary>Two</v> <v Bob>speakers</v>\n\n"+
		"00:04.000 --> 00:05.000\nno voice\n")
	want := []Cue{
		{Start: 0, End: 2 * time.Second, Speaker: "Esme Jones", Text: "Hi & welcome"},
		{Start: 2 * time.Second, End: 4 * time.Second, Speaker: "Mary", Text: "Two"},
		{Start: 2 * time.Second, End: 4 * time.Second, Speaker: "Bob", Text: "speakers"},
		{Start: 4 * time.Second, End: 5 * time.Second, Text: "no voice"},
	}
	if fmt.Sprint(tr.Cues) != fmt.Sprint(want) {
		t.Fatalf("got %+v", tr.Cues)
	}
}

func TestVTTBlocks(t *testing.T) {
	tr := mustParse(t, "b.vtt", strings.Join([]string{
		"WEBVTT", "",
		"STYLE", "::cue { color: red }", "",
		"REGION", "id:r1", "",
		"NOTE a note", "spanning lines", "",
		"id-1", "00:01.000 --> 00:02.000 align:start position:10% region:r1", "first", "",
		"STYLE", "::cue(b) { color: blue }", "",
		"00:02.000 --> 00:03.000", "second", "00:03.000 --> 00:04.000", "third, no blank line before", "",
		"just text without timing", "",
		"00:04.000 --> 00:05.000", "fourth",
	}, "\n"))
	if got := texts(tr); !equalStrings(got, []string{"first", "second", "third, no blank line before", "fourth"}) {
		t.Fatalf("texts %q", got)
	}
}

func TestSpeakerLabels(t *testing.T) {
	for _, tc := range []struct {
		name, text   string
		wantSpeakers []string
		wantTexts    []string
	}{
		{"repeated names", "Alice: Hi Bob.\n\nBob: Hi Alice.\n\nAlice: Bye now.\n\nBob: Bye.",
			[]string{"Alice", "Bob", "Alice", "Bob"}, []string{"Hi Bob.", "Hi Alice.", "Bye now.", "Bye."}},
		{"labelled lines without blank lines", "Alice: Hi Bob.\nBob: Hi Alice.\nAlice: Bye now.\nBob: Bye.",
			[]string{"Alice", "Bob", "Alice", "Bob"}, []string{"Hi Bob.", "Hi Alice.", "Bye now.", "Bye."}},
		{"a single Note: is not a speaker", "Note: this is a sentence.\n\nAnd another one.",
			[]string{"", ""}, []string{"Note: this is a sentence.", "And another one."}},
		{"numbered sections are not speakers", "Step 1: open it.\n\nStep 1: again, then close it.",
			[]string{"", ""}, []string{"Step 1: open it.", "Step 1: again, then close it."}},
		{"numbered roles are", "Speaker 1: hello there.\n\nSpeaker 2: hi.\n\nSpeaker 1: bye.\n\nSpeaker 2: bye bye.",
			[]string{"Speaker 1", "Speaker 2", "Speaker 1", "Speaker 2"}, []string{"hello there.", "hi.", "bye.", "bye bye."}},
		{"labels need words after them", "Position: 5%\n\nPosition: 6%",
			[]string{"", ""}, []string{"Position: 5%", "Position: 6%"}},
		{"capitals alone make a label, carried forward, reset by a dash", "NARRATOR: Once upon a time\n\nthere was a parser.\n\n- Who are you?",
			[]string{"NARRATOR", "NARRATOR", ""}, []string{"Once upon a time", "there was a parser.", "- Who are you?"}},
		{"bracketed names need the dash", "- [Adam] Hello.\n\n[Music] plays\n\n- [Music] more",
			[]string{"Adam", "Adam", ""}, []string{"Hello.", "[Music] plays", "- [Music] more"}},
		{"turn markers", ">> ANNA: hello\n\n>> next speaker",
			[]string{"ANNA", ""}, []string{"hello", ">> next speaker"}},
	} {
		tr := mustParse(t, "s.txt", tc.text)
		var speakers []string
		for _, c := range tr.Cues {
			speakers = append(speakers, c.Speaker)
		}
		if !equalStrings(speakers, tc.wantSpeakers) || !equalStrings(texts(tr), tc.wantTexts) {
			t.Errorf("%s: speakers %q texts %q", tc.name, speakers, texts(tr))
		}
	}
}

func TestMarkdown(t *testing.T) {
	tr := mustParse(t, "m.md", "# Episode 1: *Go* \\& you\n\n## Part one\n\n**Ada Lovelace:** Hi, see [the docs](https://go.dev) \\[laughs\\]\n"+
		"and `go vet`.\n\nStill Ada.\n\n---\n\n**Charles**: Hello! \n\n> quoted\n> text\n\n**Break:** \\[24:27\\]\n\n- a list\n- item")
	if tr.Title != "Episode 1: *Go* & you" {
		t.Errorf("title %q", tr.Title)
	}
	want := []Cue{
		{Speaker: "Ada Lovelace", Text: "Hi, see the docs [laughs] and go vet."},
		{Speaker: "Ada Lovelace", Text: "Still Ada."},
		{Speaker: "Charles", Text: "Hello!"},
		{Speaker: "Charles", Text: "quoted text"},
		{Text: "a list item"}, // after a break the speaker is unknown again
	}
	if fmt.Sprint(tr.Cues) != fmt.Sprint(want) {
		t.Errorf("got %+v", tr.Cues)
	}
}

func TestTimedTextXML(t *testing.T) {
	tr := mustParse(t, "y.xml", `<?xml version="1.0" encoding="ISO-8859-1"?><transcript>`+
		`<text start="1.5" dur="2">it&amp;#39;s &lt;b&gt;bold&lt;/b&gt;</text>`+
		`<text start="x" dur="1">bad start</text><text start="4" dur="-1">bad dur</text>`+
		`<text start="5">no dur<br/>two lines</text></transcript>`)
	want := []Cue{
		{Start: 1500 * time.Millisecond, End: 3500 * time.Millisecond, Text: "it's bold"},
		{Start: 5 * time.Second, End: 5 * time.Second, Text: "no dur two lines"},
	}
	if fmt.Sprint(tr.Cues) != fmt.Sprint(want) || tr.Skipped != 2 {
		t.Errorf("got %+v, skipped %d", tr.Cues, tr.Skipped)
	}
	tr = mustParse(t, "srv3.xml", `<timedtext format="3"><head><pen id="1"/></head><body>`+
		`<p t="1000" d="1500">first <s>word</s></p><p t="2500" d="500">second</p></body></timedtext>`)
	if got := texts(tr); !equalStrings(got, []string{"first word", "second"}) || tr.Cues[0].End != 2500*time.Millisecond {
		t.Errorf("format 3: %+v", tr.Cues)
	}
}

func TestTimedTextEntitiesAreInert(t *testing.T) {
	for name, doc := range map[string]string{
		"billion laughs": `<?xml version="1.0"?><!DOCTYPE transcript [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">` +
			`<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><transcript><text start="0" dur="1">&c;</text></transcript>`,
		"external entity": `<?xml version="1.0"?><!DOCTYPE transcript [<!ENTITY x SYSTEM "file:///etc/passwd">]>` +
			`<transcript><text start="0" dur="1">ok</text><text start="1" dur="1">&x;</text></transcript>`,
	} {
		tr, err := Parse("e.xml", []byte(doc))
		if err == nil {
			checkInvariants(t, tr)
			for _, c := range tr.Cues {
				if strings.Contains(c.Text, "aaaa") || strings.Contains(c.Text, "root:") {
					t.Errorf("%s: entity expanded: %q", name, c.Text)
				}
			}
		}
	}
}

func TestPodcastJSON(t *testing.T) {
	tr := mustParse(t, "p.json", `{"version":"1.0.0","segments":[
		{"speaker":"Ann","startTime":0,"endTime":0.4,"body":"Hello"},
		{"speaker":"Ann","startTime":0.4,"endTime":0.5,"body":","},
		{"speaker":"Ann","startTime":0.6,"endTime":1,"body":"world."},
		{"speaker":"Ann","startTime":5,"endTime":6,"body":"After a gap."},
		{"speaker":"Ann","startTime":-1,"endTime":6,"body":"negative"},
		{"speaker":"Ann","startTime":1e300,"endTime":1e301,"body":"huge"},
		{"speaker":"Ann","endTime":7,"body":"no start"},
		{"speaker":1,"startTime":7,"body":"bad speaker"},
		{"startTime":8,"endTime":9,"body":"<i>nobody</i>"}]}`)
	want := []Cue{
		{Start: 0, End: time.Second, Speaker: "Ann", Text: "Hello, world."},
		{Start: 5 * time.Second, End: 6 * time.Second, Speaker: "Ann", Text: "After a gap."},
		{Start: 8 * time.Second, End: 9 * time.Second, Text: "nobody"},
	}
	if fmt.Sprint(tr.Cues) != fmt.Sprint(want) || tr.Skipped != 4 {
		t.Errorf("got %+v, skipped %d %q", tr.Cues, tr.Skipped, tr.Problems)
	}
}

func TestPodcastJSONLongMonologue(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"segments":[`)
	for i := range 200 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"speaker":"Ann","startTime":%g,"endTime":%g,"body":"word"}`, float64(i)*0.3, float64(i)*0.3+0.25)
	}
	sb.WriteString(`]}`)
	tr := mustParse(t, "p.json", sb.String())
	for _, c := range tr.Cues {
		if c.End-c.Start > jsonMaxCueSpan {
			t.Fatalf("cue spans %v", c.End-c.Start)
		}
	}
	if len(tr.Cues) < 4 {
		t.Errorf("60 s of words in %d cues", len(tr.Cues))
	}
}

func TestPodcastHTML(t *testing.T) {
	tr := mustParse(t, "p.html", `<!doctype html><html><head><style>p { color: red }</style><script>var x = "<p>";</script></head><body>
		<cite>Ann:</cite><time>0:05</time><p>Hi &amp; <b>welcome</b>,<br>friends.</p>
		<cite>Bob:</cite><time>1:02:03</time><p>Thanks.</p>
		<time>bad</time><p>Still Bob.</p></body></html>`)
	want := []Cue{
		{Start: 5 * time.Second, End: 3723 * time.Second, Speaker: "Ann", Text: "Hi & welcome, friends."},
		{Start: 3723 * time.Second, End: 3723 * time.Second, Speaker: "Bob", Text: "Thanks."},
		{Start: 3723 * time.Second, End: 3723 * time.Second, Speaker: "Bob", Text: "Still Bob."},
	}
	if fmt.Sprint(tr.Cues) != fmt.Sprint(want) {
		t.Errorf("got %+v", tr.Cues)
	}
}

func TestDetectFormat(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"talk.srt", "WEBVTT\n\n00:01.000 --> 00:02.000\nx", FormatVTT},
		{"talk.vtt", "1\n00:00:01,000 --> 00:00:02,000\nx", FormatSRT},
		{"talk.txt", "0:00:01.000,0:00:02.000\nx", FormatSBV},
		{"talk", "  \n\n{\"segments\": []}", FormatPodcastJSON},
		{"talk", `<?xml version="1.0"?><transcript></transcript>`, FormatYouTubeXML},
		{"talk", "<cite>A:</cite><time>0:01</time><p>x</p>", FormatPodcastHTML},
		{"talk", "**A:** hello", FormatMarkdown},
		{"talk", "# Title\n\ntext", FormatMarkdown},
		{"talk.TXT", "plain words", FormatText},
		{"talk.markdown", "plain words", FormatMarkdown},
		{"talk.webvtt", "no header", FormatVTT},
		{"talk.doc", "plain words", ""},
	} {
		if got := detectFormat(tc.name, tc.text); got != tc.want {
			t.Errorf("detectFormat(%q, %q) = %q, want %q", tc.name, tc.text, got, tc.want)
		}
	}
}

const srtTemplate = "1\n00:00:01,000 --> 00:00:02,000\n%s\n\n2\n00:00:03,000 --> 00:00:04,000\n%s\n"

func encodeWith(t *testing.T, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLegacyEncodings(t *testing.T) {
	for _, tc := range []struct {
		enc      encoding.Encoding
		name     string
		one, two string
	}{
		{japanese.ShiftJIS, "shift_jis", "今日はいい天気ですね。散歩に行きましょう。", "私の名前は田中です。よろしくお願いします。"},
		{traditionalchinese.Big5, "big5", "我們今天要討論的是並發程式設計。", "這個問題很重要，請大家注意聽。"},
		{korean.EUCKR, "euc-kr", "안녕하세요, 오늘 발표를 시작하겠습니다.", "이것은 아주 중요한 문제입니다."},
		{charmap.Windows1252, "windows-1252", "Ça c’est très intéressant, n’est-ce pas?", "Voilà: déjà vu, naïve façade — “quotes”."},
	} {
		data := encodeWith(t, tc.enc, fmt.Sprintf(srtTemplate, tc.one, tc.two))
		tr, err := Parse("legacy.srt", data)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tr.Encoding != tc.name || !equalStrings(texts(tr), []string{tc.one, tc.two}) {
			t.Errorf("%s: detected %s, texts %q", tc.name, tr.Encoding, texts(tr))
		}
	}
}

func TestUTF16AndBOMs(t *testing.T) {
	text := fmt.Sprintf(srtTemplate, "Grüße", "naïve ☃")
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"utf-16be", append([]byte{0xFE, 0xFF}, encodeWith(t, utf16BE, text)...)},
		{"utf-16le", append([]byte{0xFF, 0xFE}, encodeWith(t, utf16LE, text)...)},
		{"utf-16le", encodeWith(t, utf16LE, text)}, // no BOM: sniffed from the zero bytes
		{"utf-16be", encodeWith(t, utf16BE, text)},
		{"utf-8", append([]byte("\xEF\xBB\xBF"), text...)},
	} {
		tr, err := Parse("u.srt", tc.data)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tr.Encoding != tc.name || !equalStrings(texts(tr), []string{"Grüße", "naïve ☃"}) {
			t.Errorf("%s: got %s %q", tc.name, tr.Encoding, texts(tr))
		}
	}
}

func TestMostlyUTF8WithDamage(t *testing.T) {
	text := fmt.Sprintf(srtTemplate, "Grüße aus München, schön", "kaputt: \xff hier")
	tr := mustParse(t, "d.srt", text)
	if tr.Encoding != "utf-8" || tr.Cues[0].Text != "Grüße aus München, schön" || tr.Cues[1].Text != "kaputt: \uFFFD hier" {
		t.Errorf("got %s %q", tr.Encoding, texts(tr))
	}
}

func TestParseWithEncoding(t *testing.T) {
	data := []byte(fmt.Sprintf(srtTemplate, "caf\xe9", "na\xefve"))
	tr, err := ParseWithEncoding("e.srt", data, "latin1")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Encoding != "windows-1252" || !equalStrings(texts(tr), []string{"café", "naïve"}) {
		t.Errorf("got %s %q", tr.Encoding, texts(tr))
	}
	// gb2312 is a WHATWG label for GBK.
	tr = parseWithLabel(t, "cdownsrt-gb2312.srt", "gb2312")
	if tr.Encoding != "gbk" || tr.Cues[0].Text != "宇宙守护神 保护我们远离邪恶" {
		t.Errorf("gb2312 label: %s %q", tr.Encoding, tr.Cues[0].Text)
	}
	if _, err := ParseWithEncoding("e.srt", data, "no-such-charset"); !errors.Is(err, ErrUnknownEncoding) {
		t.Errorf("unknown label: %v", err)
	}
	// A byte order mark wins over the label.
	tr, err = ParseWithEncoding("e.srt", append([]byte("\xEF\xBB\xBF"), fmt.Sprintf(srtTemplate, "é", "ü")...), "shift_jis")
	if err != nil || tr.Encoding != "utf-8" || tr.Cues[0].Text != "é" {
		t.Errorf("BOM vs label: %v %+v", err, tr)
	}
}

func parseWithLabel(t *testing.T, name, label string) *Transcript {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ParseWithEncoding(name, data, label)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestNULBecomesReplacement(t *testing.T) {
	tr := mustParse(t, "n.vtt", "WEBVTT\n\n00:00.000 --> 00:01.000\na\x00b\n")
	if tr.Cues[0].Text != "a\uFFFDb" {
		t.Errorf("got %q", tr.Cues[0].Text)
	}
}
