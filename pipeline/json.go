package pipeline

import (
	"encoding/json"
	"sort"
	"time"
)

// jsonEntry is an entry as JSON: the Parquet column names of DESIGN.md, so a
// message on recap.tag.<tag> reads like a row of the archive.
type jsonEntry struct {
	ID         string            `json:"id"`
	Kind       string            `json:"kind"`
	Source     string            `json:"source"`
	Origin     string            `json:"origin,omitempty"`
	Title      string            `json:"title,omitempty"`
	URL        string            `json:"url,omitempty"`
	Authors    []string          `json:"authors,omitempty"`
	Published  time.Time         `json:"published"`
	Ingested   time.Time         `json:"ingested"`
	Text       string            `json:"text"`
	Lang       string            `json:"lang,omitempty"`
	Words      int32             `json:"words"`
	Categories []string          `json:"categories,omitempty"`
	Tags       []string          `json:"tags,omitempty"`
	StartMs    *int64            `json:"start_ms,omitempty"`
	EndMs      *int64            `json:"end_ms,omitempty"`
	Level      string            `json:"level,omitempty"`
	Attrs      map[string]string `json:"attrs,omitempty"`
}

// MarshalJSON writes the entry with the archive's column names.
func (e *Entry) MarshalJSON() ([]byte, error) {
	j := jsonEntry{
		ID: e.ID, Kind: e.Kind, Source: e.Source, Origin: e.Origin, Title: e.Title, URL: e.URL,
		Authors: e.Authors, Published: e.Published.UTC(), Ingested: e.Ingested.UTC(), Text: e.Text,
		Lang: e.Lang, Words: e.Words, Categories: e.Categories, Tags: e.Tags, Level: e.Level, Attrs: e.AttrMap(),
	}
	if e.Timing != nil {
		j.StartMs, j.EndMs = &e.Timing.StartMs, &e.Timing.EndMs
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON wrote; attrs come back sorted by key.
func (e *Entry) UnmarshalJSON(data []byte) error {
	var j jsonEntry
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*e = Entry{
		ID: j.ID, Kind: j.Kind, Source: j.Source, Origin: j.Origin, Title: j.Title, URL: j.URL,
		Authors: j.Authors, Published: j.Published, Ingested: j.Ingested, Text: j.Text,
		Lang: j.Lang, Words: j.Words, Categories: j.Categories, Tags: j.Tags, Level: j.Level,
	}
	if j.StartMs != nil || j.EndMs != nil {
		e.Timing = &Timing{}
		if j.StartMs != nil {
			e.Timing.StartMs = *j.StartMs
		}
		if j.EndMs != nil {
			e.Timing.EndMs = *j.EndMs
		}
	}
	for k, v := range j.Attrs {
		e.Attrs = append(e.Attrs, Attr{k, v})
	}
	sort.Slice(e.Attrs, func(a, b int) bool { return e.Attrs[a].Key < e.Attrs[b].Key })
	return nil
}
