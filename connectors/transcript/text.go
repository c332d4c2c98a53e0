package transcript

import (
	"regexp"
	"strings"
)

// parseText reads an untimed plain-text transcript: each paragraph is a cue,
// and so is each line that starts with a speaker label, in files that use
// labels ("Alice: …" lines with no blank lines between them; see
// labelSpeakers, which then finds the speakers as in timed formats).
func parseText(b *builder, text string) {
	lines := strings.Split(text, "\n")
	count := map[string]int{}
	usesLabels := false
	for _, l := range lines {
		if name, _, sure, ok := speakerLabel(strings.TrimSpace(l)); ok {
			count[name]++
			usesLabels = usesLabels || sure || count[name] >= 2
		}
	}
	labelled := func(line string) bool {
		_, _, _, ok := speakerLabel(strings.TrimSpace(line))
		return usesLabels && ok
	}
	for _, p := range paragraphs(lines, labelled) {
		if !isTimestampOnly(p) && !b.add(Cue{Text: markupText(p)}) {
			return
		}
	}
}

// parseMarkdown reads an untimed Markdown transcript: a leading "# Title"
// becomes the title, other headings and rules are dropped, each paragraph is
// a cue, and "**Name:**" labels give the speaker until the next label.
func parseMarkdown(b *builder, text string) {
	lines := strings.Split(text, "\n")
	lines = markdownTitle(b, lines)
	labelled := func(line string) bool {
		_, _, ok := markdownLabel(line)
		return ok
	}
	speaker := ""
	for _, p := range paragraphs(lines, labelled) {
		if isMarkdownStructure(p) {
			continue
		}
		if name, rest, ok := markdownLabel(p); ok {
			speaker, p = markdownInline(name), rest
		}
		p = markupText(markdownInline(p))
		if isTimestampOnly(p) {
			speaker = "" // "**Break:** [24:27]" marks a pause, not speech
			continue
		}
		if !b.add(Cue{Speaker: speaker, Text: p}) {
			return
		}
	}
}

// markdownTitle takes a first "# Title" line as the title and returns the
// lines after it; without one it returns lines unchanged.
func markdownTitle(b *builder, lines []string) []string {
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "# ") {
			b.t.Title = plain(markupText(markdownInline(strings.TrimRight(l[2:], " #"))))
			return lines[i+1:]
		}
		break
	}
	return lines
}

// paragraphs groups lines into paragraphs split at blank lines and before
// every line for which labelled is true.
func paragraphs(lines []string, labelled func(string) bool) []string {
	var out []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, clipRaw(strings.Join(cur, "\n")))
			cur = cur[:0]
		}
	}
	for _, l := range lines {
		switch {
		case strings.TrimSpace(l) == "":
			flush()
			continue
		case labelled(l):
			flush()
		}
		cur = append(cur, l)
	}
	flush()
	return out
}

var (
	mdHeadingOrRule = regexp.MustCompile(`^\s*(#{1,6}(\s|$)|([-*_]\s*){3,}$)`)
	mdImageOrLink   = regexp.MustCompile(`!?\[([^\]\n]*)\]\([^)\n]*\)`)
	mdEscape        = regexp.MustCompile(`\\([!-/:-@\[-` + "`" + `{-~])`)
	mdListMarker    = regexp.MustCompile(`^([-*+]|\d{1,9}[.)])\s+`)
	timestampOnly   = regexp.MustCompile(`^\[?\(?\d{1,2}(:\d{2}){1,2}\)?\]?$`)

	// mdEmphasisAndCode drops bold and code markers; single '*' and '_' stay,
	// as they are as often arithmetic or identifiers as emphasis.
	mdEmphasisAndCode = strings.NewReplacer("**", "", "`", "")
)

// isMarkdownStructure reports whether a paragraph is a heading or a rule.
func isMarkdownStructure(p string) bool {
	return len(p) <= 200 && !strings.Contains(p, "\n") && mdHeadingOrRule.MatchString(p)
}

// markdownInline removes inline Markdown: links and images keep their text,
// bold and code markers go, backslash escapes ("\[laughs\]") are undone,
// quote and list markers at line starts go. The regular expressions run only
// where their syntax occurs, as they are the slow part on large paragraphs.
func markdownInline(s string) string {
	s = stripLineMarkers(s)
	if strings.Contains(s, "](") {
		s = mdImageOrLink.ReplaceAllString(s, "$1")
	}
	s = mdEmphasisAndCode.Replace(s)
	if strings.Contains(s, `\`) {
		s = mdEscape.ReplaceAllString(s, "$1")
	}
	return s
}

// stripLineMarkers removes blockquote ("> ") and list ("- ", "1. ") markers
// at the start of each line.
func stripLineMarkers(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for line := range strings.Lines(s) {
		line = strings.TrimLeft(line, " \t")
		for strings.HasPrefix(line, ">") {
			line = strings.TrimLeft(line[1:], " \t")
		}
		if m := mdListMarker.FindStringIndex(line[:min(len(line), 16)]); m != nil {
			line = line[m[1]:]
		}
		b.WriteString(line)
	}
	return b.String()
}

// isTimestampOnly reports whether text is only a time marker like "[24:27]".
func isTimestampOnly(text string) bool {
	return len(text) < 32 && timestampOnly.MatchString(plain(text))
}
