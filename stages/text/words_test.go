package text

import "testing"

func TestCountWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"", 0},
		{"   \n\t ", 0},
		{"one", 1},
		{"Hello, world!", 2},
		{"don't stop", 2},
		{"it’s state-of-the-art", 2},
		{"Jean‑Luc Picard", 2}, // non-breaking hyphen
		{"rock 'n' roll", 3},
		{"the students' books", 3},
		{"a - b -- c", 3},
		{"well--known", 2},
		{"3.14 and 1,000", 5},
		{"v1.2.3", 3},
		{"naïve café Ünïcödé", 3},
		{"नमस्ते दुनिया", 2}, // combining vowel signs stay inside the word
		{"Привет, мир", 2},
		{"维护者宣布", 5},
		{"Go语言很好", 5},     // "Go" and four ideographs
		{"パフォーマンスの改善", 3}, // a kana run and two ideographs
		{"emoji 🎉 party", 2},
		{"https://example.org/a-b?c=d", 6}, // https example org a-b c d
	} {
		if got := countWords(tc.in); got != tc.want {
			t.Errorf("countWords(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestCountWordsAllocatesNothing(t *testing.T) {
	s := "Thanos stores Prometheus metrics in object storage — 维护者 naïve"
	if n := testing.AllocsPerRun(100, func() { countWords(s) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}
