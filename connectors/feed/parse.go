package feed

import (
	"bytes"
	"errors"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// parseFeed parses RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed with gofeed,
// after repairing what real feeds get wrong: byte order marks, UTF-16/32,
// whitespace before the XML declaration, undeclared legacy charsets, wrong or
// unknown declared charsets and characters XML forbids. gofeed's XML decoding
// never expands DTD entities or fetches external ones, so entity bombs and
// XXE payloads stay inert text or fail to parse.
func parseFeed(body []byte, contentType string) (*gofeed.Feed, error) {
	data := toUTF8IfUnicode(body)
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 {
		return nil, errors.New("empty document")
	}
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(data))
	if err == nil {
		return feed, nil
	}
	// Second chance: decode to UTF-8 ourselves (HTTP charset, then declared
	// charset if it is real, else Windows-1252), drop the declaration and any
	// characters XML 1.0 forbids, and parse again.
	if repaired := repairXML(data, contentType); repaired != nil {
		if feed, err2 := gofeed.NewParser().Parse(bytes.NewReader(repaired)); err2 == nil {
			return feed, nil
		}
	}
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		return nil, errors.New("not a feed: no RSS, Atom or JSON Feed document found")
	}
	return nil, err
}

// toUTF8IfUnicode transcodes UTF-16 and UTF-32 documents (with BOM, or
// recognisable by the zero bytes around "<") and strips a UTF-8 BOM.
func toUTF8IfUnicode(b []byte) []byte {
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return b[3:]
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0xFE, 0xFF}), bytes.HasPrefix(b, []byte{0x00, 0x00, 0x00, '<'}):
		enc = utf32.UTF32(utf32.BigEndian, utf32.UseBOM)
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE, 0x00, 0x00}), bytes.HasPrefix(b, []byte{'<', 0x00, 0x00, 0x00}):
		enc = utf32.UTF32(utf32.LittleEndian, utf32.UseBOM)
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}), bytes.HasPrefix(b, []byte{0x00, '<'}):
		enc = unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{'<', 0x00}):
		enc = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	default:
		return b
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return b
	}
	return dropXMLEncoding(out)
}

var xmlDecl = regexp.MustCompile(`^\s*<\?xml[^>]*?\?>`)
var encodingAttr = regexp.MustCompile(`(?i)\sencoding\s*=\s*["']([^"']*)["']`)

// dropXMLEncoding removes the encoding pseudo-attribute of a document that is
// already UTF-8, so the XML decoder does not convert it a second time.
func dropXMLEncoding(b []byte) []byte {
	loc := xmlDecl.FindIndex(b)
	if loc == nil {
		return b
	}
	decl := encodingAttr.ReplaceAll(b[loc[0]:loc[1]], nil)
	return append(decl, b[loc[1]:]...)
}

// repairXML returns data as clean UTF-8 XML without an encoding declaration,
// or nil when it is not XML.
func repairXML(data []byte, contentType string) []byte {
	if len(data) == 0 || data[0] != '<' {
		return nil
	}
	declared := ""
	if loc := xmlDecl.FindIndex(data); loc != nil {
		if m := encodingAttr.FindSubmatch(data[loc[0]:loc[1]]); m != nil {
			declared = string(m[1])
		}
	}
	text := data
	if !utf8.Valid(data) {
		enc := pickCharset(contentType, declared)
		if out, err := enc.NewDecoder().Bytes(data); err == nil {
			text = out
		}
	}
	return stripInvalidXMLChars(dropXMLEncoding(text))
}

// pickCharset chooses how to decode bytes that are not UTF-8: the HTTP
// charset, then the declared one if it names a real charset other than UTF-8
// (which the bytes just proved wrong), else Windows-1252, the usual truth.
func pickCharset(contentType, declared string) encoding.Encoding {
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		if e, name := charset.Lookup(params["charset"]); e != nil && name != "utf-8" {
			return e
		}
	}
	if e, name := charset.Lookup(declared); e != nil && name != "utf-8" {
		return e
	}
	return charmap.Windows1252
}

// stripInvalidXMLChars removes control characters XML 1.0 does not allow and
// replaces invalid UTF-8.
func stripInvalidXMLChars(b []byte) []byte {
	return []byte(strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r != 0xFFFE && r != 0xFFFF {
			return r
		}
		return -1
	}, strings.ToValidUTF8(string(b), "\uFFFD")))
}
