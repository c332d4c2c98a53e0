package tag

import (
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"
)

// keyword is one searched phrase in its collapsed form: trimmed, with every
// whitespace run turned into one space. Exact keywords must match with the
// same case; the others match ASCII-case-insensitively. Keywords match whole
// words, except substring ones (regex hints), which match anywhere.
type keyword struct {
	text      string
	exact     bool
	substring bool
}

// matcher finds every keyword that occurs as a whole word in a text, in one
// pass over the text and without allocating.
//
// It is an Aho–Corasick automaton compiled into a dense DFA over byte classes.
// It reports overlapping matches, so "gateway api" is still found inside
// "kubernetes gateway api" and "fluent" inside "fluent bit"; leftmost-longest
// search would hide them. Case folding is in the byte classes (A and a share
// a column), and whitespace runs are folded by the automaton itself: a state
// reached through a space stays put on more whitespace, so "Gateway \n API"
// matches "gateway api" without copying the text.
type matcher struct {
	class    [256]uint8 // byte → column
	stride   uint32     // columns per state
	next     []uint32   // [state*stride+column] → next state*stride, | matchFlag when it ends keywords
	outStart []int32    // keywords ending in state s are out[outStart[s]:outStart[s+1]]
	out      []int32
	keywords []keyword
}

const matchFlag = 1 << 31

// newMatcher compiles keywords; their texts must be collapsed and not empty.
func newMatcher(keywords []keyword) (*matcher, error) {
	m := &matcher{keywords: keywords}
	var used [256]bool
	for _, k := range keywords {
		for i := 0; i < len(k.text); i++ {
			used[fold(k.text[i])] = true
		}
	}
	// Column 0 stands for every byte no keyword contains; folded bytes number
	// at most 256-26-5, so columns fit a uint8.
	var column [256]uint8
	columns := 1
	for b := range 256 {
		if used[b] {
			column[b] = uint8(columns)
			columns++
		}
	}
	for b := range 256 {
		m.class[b] = column[fold(byte(b))]
	}
	stride := uint32(columns)
	m.stride = stride

	// The trie, with 0 meaning "no child" while building: the root (state 0)
	// is nobody's child.
	next := make([]uint32, stride)
	own := [][]int32{nil}       // keywords ending exactly in each state
	afterSpace := []bool{false} // state was entered through a space
	for id, k := range keywords {
		s := uint32(0)
		for i := 0; i < len(k.text); i++ {
			c := uint32(m.class[k.text[i]])
			t := next[s*stride+c]
			if t == 0 {
				t = uint32(len(own))
				next[s*stride+c] = t
				next = append(next, make([]uint32, stride)...)
				own = append(own, nil)
				afterSpace = append(afterSpace, k.text[i] == ' ')
			}
			s = t
		}
		own[s] = append(own[s], int32(id))
	}
	states := uint64(len(own))
	if states*uint64(stride) >= matchFlag {
		return nil, fmt.Errorf("%d keywords make too large an automaton", len(keywords))
	}

	// Breadth first, so a state's failure state (shallower) is complete when
	// the state borrows its missing transitions and its outputs.
	fail := make([]uint32, states)
	outs := make([][]int32, states)
	queue := make([]uint32, 0, states)
	for _, t := range next[:stride] {
		if t != 0 {
			queue = append(queue, t)
		}
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		row := next[s*stride : (s+1)*stride]
		failRow := next[fail[s]*stride:]
		for c, t := range row {
			if t == 0 {
				row[c] = failRow[c]
				continue
			}
			fail[t] = failRow[c]
			queue = append(queue, t)
		}
		outs[s] = slices.Concat(own[s], outs[fail[s]])
	}
	// More whitespace after a space leaves the state as it is. No keyword
	// contains two spaces, so this replaces no trie edge, and no keyword ends
	// in a space, so these states never report.
	space := uint32(m.class[' '])
	for s, ok := range afterSpace {
		if ok {
			next[uint32(s)*stride+space] = uint32(s)
		}
	}

	// Number states breadth first, so the shallow states that most bytes
	// visit share cache lines and pages.
	order := append([]uint32{0}, queue...)
	rank := make([]uint32, states)
	for r, s := range order {
		rank[s] = uint32(r)
	}
	m.next = make([]uint32, len(next))
	m.outStart = make([]int32, states+1)
	for r, s := range order {
		for c, t := range next[s*stride : (s+1)*stride] {
			v := rank[t] * stride
			if len(outs[t]) > 0 {
				v |= matchFlag
			}
			m.next[uint32(r)*stride+uint32(c)] = v
		}
		m.out = append(m.out, outs[s]...)
		m.outStart[r+1] = int32(len(m.out))
	}
	return m, nil
}

// scan records in h, under f, every keyword occurring in s.
func (m *matcher) scan(s string, f field, h *hits) {
	next, class := m.next, &m.class
	var st uint32
	for i := 0; i < len(s); i++ {
		t := next[st+uint32(class[s[i]])]
		st = t &^ matchFlag
		if t&matchFlag != 0 {
			m.report(s, i+1, st, f, h)
		}
	}
}

// report records the keywords ending at end (in state st) whose word
// boundaries and case hold.
func (m *matcher) report(s string, end int, st uint32, f field, h *hits) {
	state := st / m.stride
	for _, id := range m.out[m.outStart[state]:m.outStart[state+1]] {
		k := &m.keywords[id]
		if k.substring {
			h.add(id, f)
			continue
		}
		start := startOf(s, end, len(k.text))
		if wordBefore(s, start) || wordAt(s, end) || k.exact && !equalCollapsed(s[start:end], k.text) {
			continue
		}
		h.add(id, f)
	}
}

// hits records which keywords occurred in which fields of one entry.
type hits struct {
	fields []field // by keyword id
	found  []int32 // keywords with fields set, to visit and to reset
}

func (h *hits) add(id int32, f field) {
	if h.fields[id] == 0 {
		h.found = append(h.found, id)
	}
	h.fields[id] |= f
}

func (h *hits) reset() {
	for _, id := range h.found {
		h.fields[id] = 0
	}
	h.found = h.found[:0]
}

// fold maps a byte to the one the automaton sees: ASCII letters in lower
// case, every whitespace byte as a space.
func fold(b byte) byte {
	switch {
	case 'A' <= b && b <= 'Z':
		return b + 'a' - 'A'
	case isSpace(b):
		return ' '
	}
	return b
}

func isSpace(b byte) bool {
	return b == ' ' || '\t' <= b && b <= '\r'
}

// startOf returns where a match of n collapsed bytes ending at end starts in
// s, counting each whitespace run as one byte.
func startOf(s string, end, n int) int {
	i := end
	for ; n > 0; n-- {
		i--
		if isSpace(s[i]) {
			for i > 0 && isSpace(s[i-1]) {
				i--
			}
		}
	}
	return i
}

// equalCollapsed reports whether s equals the collapsed text want, byte for
// byte, once each whitespace run of s counts as one space.
func equalCollapsed(s, want string) bool {
	j := 0
	for i := 0; i < len(s); i, j = i+1, j+1 {
		if j == len(want) {
			return false
		}
		if !isSpace(s[i]) {
			if s[i] != want[j] {
				return false
			}
			continue
		}
		if want[j] != ' ' {
			return false
		}
		for i+1 < len(s) && isSpace(s[i+1]) {
			i++
		}
	}
	return j == len(want)
}

// wordAt reports whether a letter or digit starts at s[i].
func wordAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	if c := s[i]; c < utf8.RuneSelf {
		return isAlnum(c)
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isWordRune(r)
}

// wordBefore reports whether a letter or digit ends just before s[i].
func wordBefore(s string, i int) bool {
	if i == 0 {
		return false
	}
	if c := s[i-1]; c < utf8.RuneSelf {
		return isAlnum(c)
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return isWordRune(r)
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
