package transcript

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxLabelBytes bounds a speaker label: longer prefixes are sentences, not names.
const maxLabelBytes = 40

// labelSpeakers finds speaker labels at the start of cue text — "Travis: …",
// "MAN: …", "- [Adam] …" — in cues whose speaker is still unknown, moves them
// to Cue.Speaker and carries each speaker forward over unlabelled cues, as
// podcast and course transcripts label only the change of speaker.
//
// It is conservative, since "Note: …" or "Text Position: 5%" also start
// cues: a "Name:" label must be followed by words, and labels are used only
// in files where some name labels two cues or is written in capitals; a
// bracketed name needs the leading dash of subtitle-style speaker changes.
// Other files are untouched.
func labelSpeakers(cues []Cue) {
	type found struct {
		name, rest string
		sure       bool // the label's form alone makes it a speaker
	}
	labels := make([]found, len(cues))
	count := map[string]int{}
	for i, c := range cues {
		if c.Speaker != "" {
			continue
		}
		if name, rest, sure, ok := speakerLabel(c.Text); ok {
			labels[i] = found{name, rest, sure}
			count[name]++
		}
	}
	// Once some label is certain, the file uses the convention and a name
	// that labels a single cue ("Maria: Sim.") is a label too.
	if !slices.ContainsFunc(labels, func(l found) bool { return l.sure || count[l.name] >= 2 }) {
		return
	}
	last := ""
	for i := range cues {
		c := &cues[i]
		switch l := labels[i]; {
		case c.Speaker != "":
		case l.name != "":
			c.Speaker, c.Text = l.name, l.rest
		case startsTurn(c.Text):
			// an unnamed new speaker: carrying the last one over would be wrong
		default:
			c.Speaker = last
		}
		last = c.Speaker
	}
}

// speakerLabel splits a leading speaker label off text. sure says the form
// alone ("- [Adam]", an all-capitals "MAN:") makes it a label.
func speakerLabel(text string) (name, rest string, sure, ok bool) {
	s, dashed := trimTurnMarker(text)
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s[:min(len(s), maxLabelBytes+2)], ']')
		if !dashed || end < 0 {
			return "", "", false, false
		}
		name, rest = s[1:end], strings.TrimSpace(s[end+1:])
		if !isName(name) || rest == "" || soundWords[strings.ToLower(name)] {
			return "", "", false, false
		}
		return name, rest, true, true
	}
	colon := strings.IndexByte(s[:min(len(s), maxLabelBytes+1)], ':')
	if colon <= 0 || (colon+1 < len(s) && s[colon+1] != ' ') {
		return "", "", false, false
	}
	name, rest = s[:colon], strings.TrimSpace(s[colon+1:])
	if !isName(name) || !strings.ContainsFunc(rest, unicode.IsLetter) {
		return "", "", false, false
	}
	return name, rest, isAllCaps(name), true
}

// startsTurn reports whether text opens with a change-of-speaker marker.
func startsTurn(text string) bool {
	_, marked := trimTurnMarker(text)
	return marked
}

// trimTurnMarker removes a leading "- " or ">> " that marks a change of speaker.
func trimTurnMarker(s string) (string, bool) {
	for _, m := range []string{"- ", "– ", ">> ", "-"} {
		if strings.HasPrefix(s, m) {
			return strings.TrimSpace(s[len(m):]), true
		}
	}
	return s, false
}

// soundWords are bracketed captions that are sounds, not speakers.
var soundWords = map[string]bool{
	"music": true, "applause": true, "laughter": true, "laughs": true, "laughing": true,
	"inaudible": true, "silence": true, "crosstalk": true, "noise": true, "cheering": true,
	"sighs": true, "background noise": true, "no audio": true, "foreign": true,
}

// nameParticles may start a word of a name without a capital ("Ludwig van Beethoven").
var nameParticles = map[string]bool{"de": true, "van": true, "von": true, "da": true, "del": true, "der": true, "la": true, "le": true, "bin": true, "al": true}

// numberedRoles may be followed by a number in a label ("Speaker 2:"); other
// numbered labels ("Test 4:", "Step 2:") head sections rather than name people.
var numberedRoles = map[string]bool{"speaker": true, "participant": true, "person": true, "guest": true, "host": true, "voice": true, "caller": true, "interviewer": true, "interviewee": true}

// isName reports whether s reads as a person's name or role: one to four
// capitalised words (name particles like "van" aside) of letters and . ' -,
// or a role and a number ("Speaker 2").
func isName(s string) bool {
	words := strings.Fields(s)
	if len(words) == 0 || len(words) > 4 || strings.Join(words, " ") != s {
		return false
	}
	if len(words) == 2 && numberedRoles[strings.ToLower(words[0])] && isDigits(words[1]) {
		return true
	}
	for i, w := range words {
		first, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(first) && !unicode.Is(unicode.Lo, first) && (i == 0 || !nameParticles[w]) {
			return false
		}
		for _, r := range w {
			if !unicode.IsLetter(r) && !unicode.IsMark(r) && r != '.' && r != '\'' && r != '’' && r != '-' {
				return false
			}
		}
	}
	return true
}

func isDigits(s string) bool {
	_, width, next := scanDigits(s, 0)
	return width > 0 && next == len(s)
}

func isAllCaps(s string) bool {
	letters := 0
	for _, r := range s {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsUpper(r) {
			letters++
		}
	}
	return letters >= 2
}

// markdownLabel splits a "**Name:**" or "**Name**:" speaker label off a
// Markdown line; the bold form is explicit, so any short name is taken.
func markdownLabel(line string) (name, rest string, ok bool) {
	s := strings.TrimSpace(line)
	if !strings.HasPrefix(s, "**") {
		return "", "", false
	}
	end := strings.Index(s[2:], "**")
	if end < 0 || end > 2*maxLabelBytes {
		return "", "", false
	}
	name, rest = s[2:2+end], s[4+end:]
	switch {
	case strings.HasSuffix(name, ":"):
		name = name[:len(name)-1]
	case strings.HasPrefix(rest, ":"):
		rest = rest[1:]
	default:
		return "", "", false
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", "", false
	}
	return name, strings.TrimSpace(rest), true
}
