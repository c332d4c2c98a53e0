package text

import (
	"bytes"
	"unicode/utf8"
)

// repairMojibake undoes the commonest feed encoding accident: UTF-8 bytes read
// as Windows-1252 or Latin-1 and encoded again, so "…" arrives as "â€¦" (or as
// "&#226;&#128;&#166;") and "é" as "Ã©". Only sequences whose first character
// is Â, Ã, Ð, Ñ or â (the lead bytes of Latin-1 letters, Cyrillic and general
// punctuation) followed by the continuation characters of a valid UTF-8
// sequence are replaced; that combination is vanishingly rare in real text.
func repairMojibake(b []byte) []byte {
	if bytes.IndexByte(b, 0xC3) < 0 { // every lead character above is encoded C3 xx
		return b
	}
	var out []byte
	last := 0
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if seq, size, span := decodeMojibake(b[i:], r, n); span > 0 {
			if out == nil {
				out = make([]byte, 0, len(b))
			}
			out = append(append(out, b[last:i]...), seq[:size]...)
			i += span
			last = i
			continue
		}
		i += n
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// decodeMojibake reads a mojibake sequence starting with lead rune r (n bytes
// of b) and returns the UTF-8 it stands for and how many bytes of b it spans,
// or span 0.
func decodeMojibake(b []byte, r rune, n int) (seq [4]byte, size, span int) {
	switch r {
	case 'Â', 'Ã', 'Ð', 'Ñ':
		size = 2
	case 'â':
		size = 3
	default:
		return seq, 0, 0
	}
	seq[0] = byte(r)
	span = n
	for i := 1; i < size; i++ {
		c, m := utf8.DecodeRune(b[span:])
		cb, ok := continuationByte(c)
		if !ok {
			return seq, 0, 0
		}
		seq[i] = cb
		span += m
	}
	if !utf8.Valid(seq[:size]) {
		return seq, 0, 0
	}
	return seq, size, span
}

// continuationByte maps a character back to the byte 0x80–0xBF it displays as
// in Windows-1252 (or Latin-1, for the C1 controls that code page leaves out).
func continuationByte(r rune) (byte, bool) {
	if r >= 0x80 && r <= 0xBF {
		return byte(r), true
	}
	b, ok := cp1252[r]
	return b, ok
}

var cp1252 = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87,
	'ˆ': 0x88, '‰': 0x89, 'Š': 0x8A, '‹': 0x8B, 'Œ': 0x8C, 'Ž': 0x8E, '‘': 0x91,
	'’': 0x92, '“': 0x93, '”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97, '˜': 0x98,
	'™': 0x99, 'š': 0x9A, '›': 0x9B, 'œ': 0x9C, 'ž': 0x9E, 'Ÿ': 0x9F,
}
