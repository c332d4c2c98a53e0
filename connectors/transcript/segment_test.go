package transcript

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// checkSegments verifies that segs partition cues in order and keep the limits.
func checkSegments(t testing.TB, cues []Cue, segs []Segment, maxChars int, maxDur time.Duration) {
	t.Helper()
	if len(cues) == 0 {
		if len(segs) != 0 {
			t.Fatalf("%d segments from no cues", len(segs))
		}
		return
	}
	for k, s := range segs {
		end := len(cues)
		if k+1 < len(segs) {
			end = segs[k+1].FirstCue
		}
		if (k == 0 && s.FirstCue != 0) || s.FirstCue >= end {
			t.Fatalf("segment %d: FirstCue %d, next starts at %d", k, s.FirstCue, end)
		}
		part := cues[s.FirstCue:end]
		speaker := part[0].Speaker
		var texts []string
		start, stop := part[0].Start, part[0].End
		for _, c := range part {
			if c.Speaker != speaker {
				t.Fatalf("segment %d mixes speakers %q and %q", k, speaker, c.Speaker)
			}
			texts = append(texts, c.Text)
			start, stop = min(start, c.Start), max(stop, c.End)
		}
		if (speaker == "") != (s.Speakers == nil) || (speaker != "" && !reflect.DeepEqual(s.Speakers, []string{speaker})) {
			t.Fatalf("segment %d: speakers %q, want %q", k, s.Speakers, speaker)
		}
		if s.Start != start || s.End != stop {
			t.Fatalf("segment %d: times %v-%v, want %v-%v", k, s.Start, s.End, start, stop)
		}
		if len(part) > 1 && (utf8.RuneCountInString(s.Text) > maxChars || s.End-s.Start > maxDur) {
			t.Fatalf("segment %d of %d cues breaks the limits: %d chars, %v", k, len(part), utf8.RuneCountInString(s.Text), s.End-s.Start)
		}
		if strings.ReplaceAll(s.Text, " ", "") != strings.ReplaceAll(strings.Join(texts, ""), " ", "") {
			t.Fatalf("segment %d: text %q is not its cues' text", k, s.Text)
		}
	}
}

func cuesOf(speaker string, texts ...string) []Cue {
	var cues []Cue
	for i, text := range texts {
		at := time.Duration(i) * time.Second
		cues = append(cues, Cue{Start: at, End: at + time.Second, Speaker: speaker, Text: text})
	}
	return cues
}

func TestSegmentsMerge(t *testing.T) {
	cues := cuesOf("Ada", "Hello there,", "this is one", "segment.")
	got := Segments(cues, 0, 0)
	want := []Segment{{Start: 0, End: 3 * time.Second, Speakers: []string{"Ada"}, Text: "Hello there, this is one segment.", FirstCue: 0}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestSegmentsSpeakerBreaks(t *testing.T) {
	cues := append(append(append(cuesOf("A", "one", "two"), cuesOf("B", "three")...), cuesOf("", "four")...), cuesOf("A", "five")...)
	got := Segments(cues, 0, 0)
	var firsts []int
	var texts []string
	for _, s := range got {
		firsts = append(firsts, s.FirstCue)
		texts = append(texts, s.Text)
	}
	if !reflect.DeepEqual(firsts, []int{0, 2, 3, 4}) || !reflect.DeepEqual(texts, []string{"one two", "three", "four", "five"}) {
		t.Fatalf("FirstCue %v, texts %q", firsts, texts)
	}
	if got[2].Speakers != nil {
		t.Errorf("unknown speaker should give nil Speakers, got %q", got[2].Speakers)
	}
	checkSegments(t, cues, got, DefaultSegmentChars, DefaultSegmentDuration)
}

func TestSegmentsPreferSentenceEnd(t *testing.T) {
	// 20 + 1 + 8 = 29 chars fit in 30; the third cue forces a break, which
	// moves back to the sentence end after the first cue (20 >= 30/2).
	cues := cuesOf("", "First sentence here.", "and then", "more words")
	got := Segments(cues, 30, time.Hour)
	if len(got) != 2 || got[0].Text != "First sentence here." || got[1].Text != "and then more words" || got[1].FirstCue != 1 {
		t.Fatalf("got %+v", got)
	}
	checkSegments(t, cues, got, 30, time.Hour)
}

func TestSegmentsSentenceEndTooEarly(t *testing.T) {
	// Breaking after "Hi." would leave a segment under half full: break at the limit.
	cues := cuesOf("", "Hi.", "a b c d e f g h", "i j k l m n")
	got := Segments(cues, 30, time.Hour)
	if len(got) != 2 || got[0].Text != "Hi. a b c d e f g h" || got[1].FirstCue != 2 {
		t.Fatalf("got %+v", got)
	}
}

func TestSegmentsCJKSentenceEnd(t *testing.T) {
	cues := cuesOf("", "我们开始吧。", "今天讲", "并发")
	got := Segments(cues, 9, time.Hour)
	if len(got) != 2 || got[0].Text != "我们开始吧。" || got[1].Text != "今天讲并发" {
		t.Fatalf("got %+v", got)
	}
}

func TestSegmentsDuration(t *testing.T) {
	var cues []Cue
	for i := range 7 {
		at := time.Duration(i) * 20 * time.Second
		cues = append(cues, Cue{Start: at, End: at + 20*time.Second, Text: "words"})
	}
	got := Segments(cues, 0, 0)
	if len(got) != 3 || got[0].FirstCue != 0 || got[1].FirstCue != 3 || got[2].FirstCue != 6 {
		t.Fatalf("got %+v", got)
	}
	if got[0].End-got[0].Start != time.Minute {
		t.Errorf("first segment lasts %v", got[0].End-got[0].Start)
	}
}

func TestSegmentsLongCueStaysWhole(t *testing.T) {
	long := strings.Repeat("word ", 300) + "end."
	cues := cuesOf("", "short", long, "after")
	got := Segments(cues, 100, time.Hour)
	if len(got) != 3 || got[1].Text != long || got[1].FirstCue != 1 {
		t.Fatalf("got %d segments: %+v", len(got), got)
	}
}

func TestSegmentsBackwardsTimes(t *testing.T) {
	cues := []Cue{
		{Start: 10 * time.Second, End: 12 * time.Second, Text: "later"},
		{Start: 2 * time.Second, End: 3 * time.Second, Text: "earlier"},
	}
	got := Segments(cues, 0, 0)
	if len(got) != 1 || got[0].Start != 2*time.Second || got[0].End != 12*time.Second {
		t.Fatalf("got %+v", got)
	}
}

func TestSegmentsEmptyAndDeterministic(t *testing.T) {
	if got := Segments(nil, 0, 0); got != nil {
		t.Fatalf("Segments(nil) = %+v", got)
	}
	tr := parseCorpus(t, "podcastns-example.srt")
	a := Segments(tr.Cues, 300, 20*time.Second)
	b := Segments(tr.Cues, 300, 20*time.Second)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs differ")
	}
	checkSegments(t, tr.Cues, a, 300, 20*time.Second)
	if len(a) < 30 {
		t.Errorf("only %d segments for 222 cues at 300 chars / 20s", len(a))
	}
}
