package tag

import (
	"regexp/syntax"
	"unicode/utf8"
)

// requiredLiterals returns strings of which every match of re contains at
// least one, or nil when it finds none. The stage searches them as substrings
// with the automaton and runs a rule's regex only on entries where one
// occurs, so that a regex rule does not cost a regex execution per log line.
func requiredLiterals(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if lit := literalCore(re); lit != "" {
			return []string{lit}
		}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min > 0 {
			return requiredLiterals(re.Sub[0])
		}
	case syntax.OpConcat:
		// Any part's literals will do; the longest shortest one filters best.
		var best []string
		for _, sub := range re.Sub {
			if lits := requiredLiterals(sub); lits != nil && (best == nil || shortest(lits) > shortest(best)) {
				best = lits
			}
		}
		return best
	case syntax.OpAlternate:
		var all []string
		for _, sub := range re.Sub {
			lits := requiredLiterals(sub)
			if lits == nil {
				return nil
			}
			all = append(all, lits...)
		}
		return all
	}
	return nil
}

func shortest(lits []string) int {
	n := len(lits[0])
	for _, l := range lits[1:] {
		n = min(n, len(l))
	}
	return n
}

// literalCore returns the longest part of a literal that the automaton's
// ASCII case folding finds wherever the regex matches it, in keyword form.
// Under (?i), RE2 also folds k and s to the Kelvin sign and long s, and
// non-ASCII letters to their other cases, so those runes split the literal.
func literalCore(re *syntax.Regexp) string {
	fold := re.Flags&syntax.FoldCase != 0
	var best, run []byte
	for _, r := range re.Rune {
		if fold && (r >= utf8.RuneSelf || r == 'k' || r == 'K' || r == 's' || r == 'S') {
			run = run[:0]
			continue
		}
		run = utf8.AppendRune(run, r)
		if len(run) > len(best) {
			best = append(best[:0], run...)
		}
	}
	return normalizeKeyword(string(best), false).text
}
