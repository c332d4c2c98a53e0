package transcript

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

const corpusDir = "testdata/corpus"

// corpusFiles lists the transcript files of the corpus (not the manifest,
// README or licences).
func corpusFiles(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != "MANIFEST.tsv" && e.Name() != "README.md" {
			names = append(names, e.Name())
		}
	}
	return names
}

func parseCorpus(t testing.TB, name string) *Transcript {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Parse(name, data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return tr
}

// cueWant is a cue expected at an index (negative counts from the end).
type cueWant struct {
	index            int
	startMs, endMs   int64
	speaker, text    string
	textContainsOnly bool // text is a substring, not the whole text
}

type corpusCase struct {
	format, encoding string
	cues, skipped    int
	want             []cueWant
	check            func(t *testing.T, tr *Transcript)
}

var corpusCases = map[string]corpusCase{
	"astisub-example-in-carriage-return.srt": {format: FormatSRT, encoding: "utf-8", cues: 3, want: []cueWant{
		{index: 0, endMs: 3766, text: "Did one of the last stories strike you as more interesting than the other?"},
		{index: 1, startMs: 3767, endMs: 10732, text: "That's true. You don\u2019t often find 632 pieces of gum stuck on a sidewalk"},
		{index: -1, startMs: 10733, endMs: 14066, text: "at a busy bus stop or anywhere else for that matter."},
	}},
	"astisub-example-in-non-utf8.srt": {format: FormatSRT, encoding: "utf-16le", cues: 6, want: []cueWant{
		{index: 0, startMs: 99000, endMs: 101040, text: "(deep rumbling)"},
		{index: 1, startMs: 124080, endMs: 127120, speaker: "MAN", text: "How did we end up here?"},
		{index: -1, startMs: 151400, endMs: 153440, speaker: "MAN", text: "(computer playing electronic melody)"},
	}},
	"astisub-example-in-styled.srt": {format: FormatSRT, encoding: "utf-8", cues: 10, want: []cueWant{
		{index: 0, startMs: 17985, endMs: 20521, text: "[instrumental music]"},
		{index: 3, startMs: 61662, endMs: 63063, text: "[dog barking]"},
		{index: 5, startMs: 89590, endMs: 91992, text: "[automated] 'The time is 7:35.'"},
		{index: 6, startMs: 480000, endMs: 540000, text: "Test with multi line italics Terminated on the next line"},
		{index: 7, startMs: 540000, endMs: 600000, text: "Unterminated styles"},
		{index: 8, startMs: 600000, endMs: 660000, text: "Do no fall to the next item"},
		{index: -1, startMs: 720000, endMs: 780000, text: "x^3 * x = 100"},
	}},
	"astisub-example-in.vtt": {format: FormatVTT, encoding: "utf-8", cues: 6, want: []cueWant{
		{index: 0, startMs: 99000, endMs: 101040, text: "(deep rumbling)"},
		{index: 1, startMs: 124080, endMs: 127120, speaker: "MAN", text: "How did we end up here?"},
		{index: 2, startMs: 132160, endMs: 135200, speaker: "MAN", text: "This place is horrible."},
		{index: -1, startMs: 151400, endMs: 153440, speaker: "MAN", text: "(computer playing electronic melody)"},
	}, check: textNeverContains("cue(", "color", "Region", "NOTE", "comment")},
	"astisub-missing-sequence-in.srt": {format: FormatSRT, encoding: "utf-8", cues: 6, want: []cueWant{
		{index: 0, startMs: 99000, endMs: 101040, text: "(deep rumbling)"},
		{index: 1, startMs: 124080, endMs: 127120, speaker: "MAN", text: "How did we end up here?"},
		{index: 4, startMs: 148320, endMs: 151360, speaker: "MAN", text: "We don't belong in this shithole."},
	}, check: textNeverContains("X1", "Y2")},
	"cdownsrt-gb2312.srt": {format: FormatSRT, encoding: "gb18030", cues: 3, want: []cueWant{
		{index: 0, startMs: 27000, endMs: 30730, text: "宇宙守护神 保护我们远离邪恶"},
		{index: 1, startMs: 31500, endMs: 34100, text: "他能徒手抓住子弹 拦住疾速的火车"},
		{index: -1, startMs: 34100, endMs: 36570, text: "轻轻一跳就能飞跃高楼"},
	}},
	"changelog-go-time-100.md": {format: FormatMarkdown, encoding: "utf-8", cues: 172, want: []cueWant{
		{index: 0, speaker: "Carmen Andoh", text: "Welcome, everybody, to Go Time! We have a very special show", textContainsOnly: true},
		{index: 1, speaker: "Jon Calhoun", text: "Hi, everybody!"},
		{index: 6, speaker: "Carmen Andoh", text: "[laughs] Right. The third --", textContainsOnly: true},
		{index: -1, speaker: "Carmen Andoh", text: "This is Carmen. Until next time, thank you, everybody."},
	}, check: func(t *testing.T, tr *Transcript) {
		textNeverContains("**", `\[`, `\]`)(t, tr)
		speakersAre("Carmen Andoh", "Jon Calhoun", "Rob Pike", "Robert Griesemer")(t, tr)
		// A paragraph without a label continues the speaker before it.
		i := slices.IndexFunc(tr.Cues, func(c Cue) bool { return strings.HasPrefix(c.Text, "We talked for a few minutes") })
		if i < 0 || tr.Cues[i].Speaker != "Rob Pike" {
			t.Errorf("unlabelled paragraph: got index %d, want a Rob Pike cue", i)
		}
		for _, c := range tr.Cues {
			if c.Start != 0 || c.End != 0 {
				t.Fatalf("markdown cue has timings: %+v", c)
			}
		}
	}},
	"nodewebvtt-acid.vtt": {format: FormatVTT, encoding: "utf-8", cues: 1342, skipped: 4, want: []cueWant{
		{index: 0, endMs: 10000, text: "This WebVTT acid test will verify rendering and parsing compatibility with the WebVTT standard."},
		{index: 1, startMs: 10000, endMs: 15000, text: "Test 1: Unicode Support"},
		{index: 3, startMs: 20000, endMs: 25000, text: "East Asian Characters: だらり帯の結び方"},
		{index: 5, startMs: 35000, endMs: 45000, text: "This text should appear word by word with second intervals."},
		{index: 10, startMs: 70000, endMs: 75000, text: "This text should be bold This text should be italic This text should be underlined"},
		{index: 12, startMs: 85000, endMs: 90000, text: "私たち"},
		{index: 13, startMs: 90000, endMs: 100000, text: "Test 4: Ignoring malformed cues"},
		{index: 14, startMs: 100000, endMs: 110000, text: "Test 5: Cue alignment"},
		{index: 24, startMs: 140250, endMs: 140500, text: "Line position: 2%"}, // "00:02:20.50": a 2-digit fraction
		{index: -1, startMs: 429800, endMs: 429900, text: "100%"},
	}, check: func(t *testing.T, tr *Transcript) {
		textNeverContains("MALFORMED", "malformed cue. It", "わたし")(t, tr)
		speakersAre()(t, tr)
	}},
	"podcastns-example.html": {format: FormatPodcastHTML, encoding: "utf-8", cues: 10, want: []cueWant{
		{index: 0, endMs: 53000, speaker: "Travis", text: "When you first get started in podcasting, it's almost guaranteed", textContainsOnly: true},
		{index: 1, startMs: 53000, endMs: 102000, speaker: "Sarah", text: "Creating good audio is really key", textContainsOnly: true},
		{index: 3, startMs: 219000, endMs: 263000, speaker: "Gilon", text: "So is there an ideal podcast length", textContainsOnly: true},
		{index: -1, startMs: 691000, endMs: 691000, speaker: "Travis", text: "best thing to do is to batch your episodes.", textContainsOnly: true},
	}, check: speakersAre("Travis", "Sarah", "Gilon")},
	"podcastns-example.json": {format: FormatPodcastJSON, encoding: "utf-8", cues: 2, want: []cueWant{
		{index: 0, startMs: 500, endMs: 2500, speaker: "Darth Vader", text: "I am your father."},
		{index: 1, startMs: 2750, endMs: 3000, speaker: "Luke", text: "Nooooo"},
	}},
	"podcastns-example.srt": {format: FormatSRT, encoding: "utf-8", cues: 222, want: []cueWant{
		{index: 0, startMs: 179, endMs: 2399, speaker: "Travis", text: "When you first get started in podcasting, it's"},
		{index: 1, startMs: 2400, endMs: 4799, speaker: "Travis", text: "almost guaranteed that you're going to make a handful of rookie"},
		{index: -1, startMs: 752671, endMs: 754769, speaker: "Travis", text: "best thing to do is to batch your episodes."},
	}, check: func(t *testing.T, tr *Transcript) {
		speakersAre("Travis", "Sarah", "Gilon")(t, tr)
		i := slices.IndexFunc(tr.Cues, func(c Cue) bool { return strings.HasPrefix(c.Text, "Creating good audio is") })
		if i < 0 || tr.Cues[i].Speaker != "Sarah" || tr.Cues[i+1].Speaker != "Sarah" {
			t.Errorf("the Sarah: label and the cue after it should be Sarah's (index %d)", i)
		}
	}},
	"podcastns-example.vtt": {format: FormatVTT, encoding: "utf-8", cues: 7, want: []cueWant{
		{index: 0, endMs: 2760, speaker: "Sarah", text: "In today's episode, you'll learn whether or not you"},
		{index: 2, startMs: 6090, endMs: 11610, speaker: "Sarah", text: "include in one? Welcome to Podcasting Q&A, where you learn"},
		{index: -1, startMs: 21450, endMs: 25350, speaker: "Gillian", text: "careers podcast. My question is, do we need a podcast trailer?"},
	}},
	"srtparser2-Welcome-648062.en.srt": {format: FormatSRT, encoding: "utf-8", cues: 28, want: []cueWant{
		{index: 0, startMs: 50, endMs: 2000, speaker: "Adam", text: "Hello, my name is Adam Wilbert,"},
		{index: 1, startMs: 2000, endMs: 3010, speaker: "Adam", text: "and I'd like to welcome you"},
		{index: -1, startMs: 53070, endMs: 55040, speaker: "Adam", text: "Now let's get started."},
	}},
	"srtparser2-single-digit-timecodes.srt": {format: FormatSRT, encoding: "utf-8", cues: 10, want: []cueWant{
		{index: 0, startMs: 7560, endMs: 9700, speaker: "Adam", text: "Hello, my name is Adam Wilbert,"},
		{index: -1, startMs: 27530, endMs: 28340, speaker: "Adam", text: "from the spreadsheets"},
	}},
	"vttjs-cycle-collector-talk.vtt": {format: FormatVTT, encoding: "utf-8", cues: 16, want: []cueWant{
		{index: 0, endMs: 3000, speaker: "Kyle Huey", text: "Not ready yet? Alright, I'll wait until the camera man tells me we're good."},
		{index: 1, startMs: 4000, endMs: 5000, speaker: "Chris Pearce", text: "Okay, we're good now."},
		{index: 2, startMs: 4000, endMs: 5000, speaker: "Kyle Huey", text: "Oh, now we're good? Laughter"},
		{index: 3, startMs: 6000, endMs: 15000, speaker: "Kyle Huey", text: "So thanks again for coming. I'm going to talk", textContainsOnly: true},
		{index: -1, startMs: 96000, endMs: 108000, speaker: "Kyle Huey", text: "The second thing the cycle collector deals with is cycles between C++ and Javascript."},
	}},
	"vttjs-long_string_multiple_languages.vtt": {format: FormatVTT, encoding: "utf-8", cues: 1, want: []cueWant{
		{index: 0, startMs: 11000, endMs: 13000, text: "Payload"}, // the long line is the cue identifier
	}},
	"vttjs-many-comments.vtt": {format: FormatVTT, encoding: "utf-8", cues: 2, want: []cueWant{
		{index: 0, startMs: 1000, endMs: 4000, text: "Never drink liquid nitrogen."},
		{index: 1, startMs: 5000, endMs: 9000, text: "- It will perforate your stomach. - You could die."},
	}, check: textNeverContains("NOTE", "Jill", "check next cue")},
	"vttjs-webvtt-with-bom.vtt": {format: FormatVTT, encoding: "utf-8", cues: 1, want: []cueWant{
		{index: 0, endMs: 2000, text: "text"},
	}},
	"w3cwebvtt-entities.vtt": {format: FormatVTT, encoding: "utf-8", cues: 22, want: []cueWant{
		{index: 0, endMs: 1000, text: "&"},
		{index: 1, startMs: 1000, endMs: 2000, text: "&"}, // &amp without ';'
		{index: 2, startMs: 2000, endMs: 3000, text: "&"},
		{index: 3, startMs: 3000, endMs: 4000, text: "&"}, // &AMP;
		{index: 4, startMs: 4000, endMs: 5000, text: "<"},
		{index: 5, startMs: 5000, endMs: 6000, text: ">"},
		{index: 6, startMs: 6000, endMs: 7000, text: "a\u200eb"},
		{index: 7, startMs: 7000, endMs: 8000, text: "a\u200fb"},
		{index: 8, startMs: 8000, endMs: 9000, text: `"`},
		// &nbsp; alone is whitespace: that cue is empty and dropped
		{index: 9, startMs: 10000, endMs: 11000, text: "©"},
		{index: 12, startMs: 13000, endMs: 14000, text: "&1;"},
		{index: 14, startMs: 15000, endMs: 16000, text: "&"}, // &<c: the tag runs to the end
		// &#32; and &#x20; are spaces: dropped too
		{index: 15, startMs: 18000, endMs: 19000, text: "&;"},
		{index: 16, startMs: 19000, endMs: 20000, text: "∲"},
		{index: -1, startMs: 24000, endMs: 25000, text: "¬it;"},
	}},
	"w3cwebvtt-newlines.vtt": {format: FormatVTT, encoding: "utf-8", cues: 4, want: []cueWant{
		{index: 0, endMs: 1000, text: "text0"},
		{index: 1, endMs: 1000, text: "text1"},
		{index: 2, endMs: 1000, text: "text2"},
		{index: 3, endMs: 1000, text: "text3"},
	}},
	"w3cwebvtt-nulls.vtt": {format: FormatVTT, encoding: "utf-8", cues: 7, skipped: 55, want: []cueWant{
		{index: 0, endMs: 1000, text: "text0"},
		{index: 2, endMs: 1000, text: "\uFFFDtext\uFFFD2"},
		{index: -1, endMs: 1000, text: "text6"},
	}, check: textNeverContains("invalid", "\x00")},
	"w3cwebvtt-regions-regionanchor.vtt": {format: FormatVTT, encoding: "utf-8", cues: 20, want: []cueWant{
		{index: 0, endMs: 1000, text: "text"},
	}, check: textNeverContains("regionanchor", "id:")},
	"w3cwebvtt-stylesheets.vtt": {format: FormatVTT, encoding: "utf-8", cues: 2, want: []cueWant{
		{index: 0, endMs: 1000, text: "text"},
		{index: 1, endMs: 1000, text: "text"},
	}, check: textNeverContains("width", "cue", "::", "NOTE", "{")},
	"w3cwebvtt-timings-too-long.vtt": {format: FormatVTT, encoding: "utf-8", cues: 2, skipped: 13, want: []cueWant{
		{index: 0, endMs: 1000, text: "text0"}, // 000:00:00.000: 3-digit hours are fine
		{index: 1, endMs: 1000, text: "text1"},
	}, check: textNeverContains("invalid")},
	"webvttpy-metadata_headers_multiline.vtt": {format: FormatVTT, encoding: "utf-8", cues: 2, want: []cueWant{
		{index: 0, startMs: 500, endMs: 7000, text: "Caption text #1"},
		{index: 1, startMs: 7000, endMs: 11890, text: "Caption text #2"},
	}, check: textNeverContains("Kind", "Language", "cue(")},
	"webvttpy-sample.sbv": {format: FormatSBV, encoding: "utf-8", cues: 5, want: []cueWant{
		{index: 0, startMs: 378, endMs: 11378, text: "Caption text #1"},
		{index: 2, startMs: 13489, endMs: 15489, text: "Caption text #3 (line 1) Caption text #3 (line 2)"},
		{index: -1, startMs: 17484, endMs: 17484, text: "Caption text #5"}, // its end (16.543) lies before its start
	}},
	"webvttpy-youtube_dl.vtt": {format: FormatVTT, encoding: "utf-8", cues: 3, want: []cueWant{
		{index: 0, startMs: 286070, endMs: 286470, text: "yeah"},
		{index: 1, startMs: 286470, endMs: 304080, text: "what"},
		{index: 2, startMs: 304080, endMs: 305400, text: "this will happen is I'm telling"},
	}, check: textNeverContains("color", "Style")},
	"ytapi-transcript.xml": {format: FormatYouTubeXML, encoding: "utf-8", cues: 3, want: []cueWant{
		{index: 0, endMs: 1540, text: "Hey, this is just a test"},
		{index: 1, startMs: 1540, endMs: 5700, text: "this is not the original transcript"},
		{index: -1, startMs: 5700, endMs: 8939, text: "just something shorter, I made up for testing"},
	}},
}

func TestCorpus(t *testing.T) {
	names := corpusFiles(t)
	for _, name := range names {
		if _, ok := corpusCases[name]; !ok {
			t.Errorf("corpus file %s has no test case", name)
		}
	}
	for name, tc := range corpusCases {
		t.Run(name, func(t *testing.T) {
			tr := parseCorpus(t, name)
			if tr.Format != tc.format || tr.Encoding != tc.encoding {
				t.Errorf("format, encoding = %s, %s; want %s, %s", tr.Format, tr.Encoding, tc.format, tc.encoding)
			}
			if len(tr.Cues) != tc.cues || tr.Skipped != tc.skipped {
				t.Errorf("cues, skipped = %d, %d; want %d, %d (problems %q)", len(tr.Cues), tr.Skipped, tc.cues, tc.skipped, tr.Problems)
			}
			for _, w := range tc.want {
				checkCue(t, tr.Cues, w)
			}
			checkInvariants(t, tr)
			for i, c := range tr.Cues {
				if entityLeft.MatchString(c.Text) {
					t.Errorf("cue %d: undecoded entity in %q", i, c.Text)
				}
			}
			if tc.check != nil {
				tc.check(t, tr)
			}
		})
	}
}

func checkCue(t *testing.T, cues []Cue, w cueWant) {
	t.Helper()
	i := w.index
	if i < 0 {
		i += len(cues)
	}
	if i < 0 || i >= len(cues) {
		t.Errorf("no cue %d in %d cues", w.index, len(cues))
		return
	}
	c := cues[i]
	if c.Start.Milliseconds() != w.startMs || c.End.Milliseconds() != w.endMs {
		t.Errorf("cue %d: times %d-%d ms, want %d-%d", w.index, c.Start.Milliseconds(), c.End.Milliseconds(), w.startMs, w.endMs)
	}
	if c.Speaker != w.speaker {
		t.Errorf("cue %d: speaker %q, want %q", w.index, c.Speaker, w.speaker)
	}
	if w.textContainsOnly && !strings.Contains(c.Text, w.text) || !w.textContainsOnly && c.Text != w.text {
		t.Errorf("cue %d: text %q, want %q", w.index, c.Text, w.text)
	}
}

var (
	// markupLeft finds what would still read as a tag.
	markupLeft = regexp.MustCompile(`<[A-Za-z/]`)
	// entityLeft finds undecoded references; real files never need them after
	// decoding (made-up input can: "&amp;amp;" decodes once, to "&amp;").
	entityLeft = regexp.MustCompile(`&(amp|lt|gt|quot|nbsp|#\d+|#x[0-9a-fA-F]+);`)
)

// checkInvariants holds for every parsed transcript: plain, trimmed,
// single-line text; sane times; limits kept.
func checkInvariants(t testing.TB, tr *Transcript) {
	t.Helper()
	if len(tr.Cues) == 0 || len(tr.Cues) > MaxCues {
		t.Fatalf("%d cues", len(tr.Cues))
	}
	if _, ok := parsers[tr.Format]; !ok {
		t.Fatalf("unknown format %q", tr.Format)
	}
	for i, c := range tr.Cues {
		switch {
		case c.Start < 0 || c.End < c.Start:
			t.Fatalf("cue %d: bad times %v-%v", i, c.Start, c.End)
		case c.Text == "" || c.Text != strings.TrimSpace(c.Text) || len(c.Text) > MaxCueTextBytes:
			t.Fatalf("cue %d: bad text length or padding: %q", i, truncateUTF8(c.Text, 80))
		case !utf8.ValidString(c.Text) || !utf8.ValidString(c.Speaker):
			t.Fatalf("cue %d: invalid UTF-8", i)
		case strings.ContainsAny(c.Text, "\n\r\t\x00") || strings.ContainsAny(c.Speaker, "\n\r\t\x00"):
			t.Fatalf("cue %d: control characters in %q / %q", i, c.Speaker, c.Text)
		case markupLeft.MatchString(c.Text):
			t.Fatalf("cue %d: markup left in %q", i, c.Text)
		}
	}
}

func textNeverContains(parts ...string) func(*testing.T, *Transcript) {
	return func(t *testing.T, tr *Transcript) {
		t.Helper()
		for _, c := range tr.Cues {
			for _, p := range parts {
				if strings.Contains(c.Text, p) {
					t.Errorf("cue text %q contains %q", c.Text, p)
				}
			}
		}
	}
}

// speakersAre checks the set of speakers found (an empty set: none at all).
func speakersAre(want ...string) func(*testing.T, *Transcript) {
	return func(t *testing.T, tr *Transcript) {
		t.Helper()
		var got []string
		for _, c := range tr.Cues {
			if c.Speaker != "" && !slices.Contains(got, c.Speaker) {
				got = append(got, c.Speaker)
			}
		}
		slices.Sort(got)
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			t.Errorf("speakers %q, want %q", got, want)
		}
	}
}

// TestCorpusManifest keeps the corpus, its manifest and its licences in step.
func TestCorpusManifest(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpusDir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for i, row := range strings.Split(strings.TrimSpace(string(data)), "\n")[1:] {
		cols := strings.Split(row, "\t")
		if len(cols) < 4 || !strings.HasPrefix(cols[0], "transcripts/") {
			t.Fatalf("row %d: %q", i+2, row)
		}
		listed[strings.TrimPrefix(cols[0], "transcripts/")] = true
		licence := filepath.Join(corpusDir, "LICENSES", strings.ReplaceAll(cols[1], "/", "__")+".txt")
		if _, err := os.Stat(licence); err != nil {
			t.Errorf("row %d: %v", i+2, err)
		}
	}
	files := corpusFiles(t)
	for _, name := range files {
		if !listed[name] {
			t.Errorf("%s is not in MANIFEST.tsv", name)
		}
	}
	if len(listed) != len(files) {
		t.Errorf("MANIFEST.tsv lists %d files, the corpus has %d", len(listed), len(files))
	}
}

func TestCorpusSegments(t *testing.T) {
	for _, name := range corpusFiles(t) {
		tr := parseCorpus(t, name)
		segs := Segments(tr.Cues, 0, 0)
		checkSegments(t, tr.Cues, segs, DefaultSegmentChars, DefaultSegmentDuration)
	}
}

func TestAcidParsesQuickly(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpusDir, "nodewebvtt-acid.vtt"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := Parse("acid.vtt", data); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("parsing 90 KB took %v", d)
	}
}

func BenchmarkParseAcid(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(corpusDir, "nodewebvtt-acid.vtt"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("nodewebvtt-acid.vtt", data); err != nil {
			b.Fatal(err)
		}
	}
}
