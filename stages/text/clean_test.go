package text

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain line", "plain line"},
		{"keeps\nnewlines\tand tabs ", "keeps\nnewlines\tand tabs "},
		{"drops\x00\x07\x1b\r\x7f controls", "drops controls"},
		{"drops C1 \u0085\u009f too", "drops C1  too"},
		{"naïve 维护者 🎉", "naïve 维护者 🎉"},
		{"bad \xff\xfe\xfd run", "bad \ufffd run"},
		{"bad \xff\x01\xff split", "bad \ufffd\ufffd split"},
		{"truncated \xe2\x82", "truncated \ufffd"},
	} {
		if got, cut := cleanText(tc.in, 1<<20); got != tc.want || cut {
			t.Errorf("cleanText(%q) = %q, %v; want %q", tc.in, got, cut, tc.want)
		}
	}
}

func TestCleanTextLimit(t *testing.T) {
	if got, cut := cleanText("abcdef", 4); got != "abcd" || !cut {
		t.Errorf("got %q, %v", got, cut)
	}
	if got, cut := cleanText("ab€", 4); got != "ab" || !cut {
		t.Errorf("cut inside a character: %q, %v", got, cut)
	}
	if got, cut := cleanText("a\x00bcd", 4); got != "abcd" || cut {
		t.Errorf("limit applied before cleaning: %q, %v", got, cut)
	}
}

func TestCleanTextAllocatesNothing(t *testing.T) {
	line := strings.Repeat(`ts=2024-05-01T12:00:00Z level=info msg="naïve ok" `, 3)
	if n := testing.AllocsPerRun(100, func() { cleanText(line, 1<<20) }); n != 0 {
		t.Errorf("%v allocations for clean text", n)
	}
}

func TestPrintableASCII(t *testing.T) {
	want := func(s string) bool {
		for i := range len(s) {
			if s[i] < ' ' || s[i] > '~' {
				return false
			}
		}
		return true
	}
	check := func(b []byte) {
		if got := printableASCII(string(b)); got != want(string(b)) {
			t.Fatalf("printableASCII(%q) = %v", b, got)
		}
	}
	for c := range 256 {
		for pos := range 8 {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			check(b)
			for _, other := range []byte{0, ' ' - 1, ' ', '~', 0x7f, 0x80, 0xff} { // borrows between neighbours
				b[(pos+1)%8] = other
				check(b)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		b := make([]byte, 8)
		for i := range b {
			b[i] = byte(r.IntN(256))
			if r.IntN(2) == 0 {
				b[i] = byte(' ' + r.IntN(95))
			}
		}
		check(b)
	}
}
