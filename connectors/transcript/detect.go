package transcript

import (
	"path/filepath"
	"strings"
)

// sniffBytes bounds how much of the text format detection looks at.
const sniffBytes = 64 << 10

var formatByExt = map[string]string{
	".vtt":      FormatVTT,
	".webvtt":   FormatVTT,
	".srt":      FormatSRT,
	".sbv":      FormatSBV,
	".xml":      FormatYouTubeXML,
	".json":     FormatPodcastJSON,
	".html":     FormatPodcastHTML,
	".htm":      FormatPodcastHTML,
	".txt":      FormatText,
	".text":     FormatText,
	".md":       FormatMarkdown,
	".markdown": FormatMarkdown,
}

// detectFormat names the format of text: by its content where it carries a
// signature (a WEBVTT header, timing lines, a JSON or XML root, speaker
// labels), else by the extension of name; "" if neither knows.
func detectFormat(name, text string) string {
	head := text[:min(len(text), sniffBytes)]
	lead := strings.TrimLeft(head, " \t\n\uFEFF")
	switch {
	case strings.HasPrefix(lead, "WEBVTT"):
		return FormatVTT
	case strings.HasPrefix(lead, "{"):
		return FormatPodcastJSON
	case strings.HasPrefix(lead, "<"):
		lower := strings.ToLower(head)
		if strings.Contains(lower, "<transcript") || strings.Contains(lower, "<timedtext") {
			return FormatYouTubeXML
		}
		if strings.Contains(lower, "<cite") || strings.Contains(lower, "<time") {
			return FormatPodcastHTML
		}
	}
	if f := sniffTimingLines(head); f != "" {
		return f
	}
	if looksLikeMarkdown(lead) {
		return FormatMarkdown
	}
	return formatByExt[strings.ToLower(filepath.Ext(name))]
}

// sniffTimingLines looks at the first non-blank lines for an SRT (or
// header-less WebVTT) "-->" timing line or an SBV "start,end" one.
func sniffTimingLines(head string) string {
	seen := 0
	for line := range strings.Lines(head) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if _, _, ok := sbvTiming(line); ok {
			return FormatSBV
		}
		if _, _, ok := arrowTiming(line, srtClock); ok {
			return FormatSRT
		}
		if seen++; seen == 8 {
			break
		}
	}
	return ""
}

// looksLikeMarkdown recognises a leading "# Title" or a "**Speaker:**" label.
func looksLikeMarkdown(lead string) bool {
	if strings.HasPrefix(lead, "# ") {
		return true
	}
	seen := 0
	for line := range strings.Lines(lead) {
		if _, _, ok := markdownLabel(line); ok {
			return true
		}
		if seen++; seen == 50 {
			break
		}
	}
	return false
}
