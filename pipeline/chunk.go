package pipeline

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/klauspost/compress/s2"
)

// Chunk is the unit of work: entries of one kind from one source, travelling as
// ONE JetStream message. Its ID is derived from its entries, so publishing the
// same chunk twice is recognised by JetStream's duplicate window.
type Chunk struct {
	ID      string
	Kind    string
	Source  string
	Seq     uint64 // stream sequence of the message it arrived in (set for stages and sinks)
	Entries []Entry
}

// chunkMagic starts every encoded chunk; the digit is the format version.
// compressedMagic starts the wire form: the same bytes, S2-compressed. Log
// chunks shrink four to six times, which is that much less for JetStream to
// write, checksum and cache, and for the buffer to hold.
const (
	chunkMagic      = "RCK1"
	compressedMagic = "RCZ1"
	// maxDecodedChunk bounds decompression, whatever a message claims.
	maxDecodedChunk = 64 << 20
)

// CompressChunk returns the wire form of an encoded chunk, reusing dst.
func CompressChunk(dst, raw []byte) []byte {
	need := len(compressedMagic) + s2.MaxEncodedLen(len(raw))
	if cap(dst) < need {
		dst = make([]byte, 0, need)
	}
	dst = append(dst[:0], compressedMagic...)
	enc := s2.Encode(dst[len(compressedMagic):need], raw)
	return dst[:len(compressedMagic)+len(enc)]
}

// Field order of the repeated-string encoding below.
const (
	fID = iota
	fOrigin
	fTitle
	fURL
	fText
	fLang
	fLevel
	numStrFields
)

// ChunkEncoder appends entries to a compact binary chunk. Each string field is
// written as uvarint(len+1) and bytes, or 0 meaning "same as the previous entry",
// which makes repeated origins, levels and languages nearly free.
type ChunkEncoder struct {
	buf   []byte
	count int
	prev  [numStrFields]span // where each field's last value sits in buf
}

// span locates bytes already written to the encoder's buffer. Previous values
// are compared against these bytes rather than kept as strings, because
// sources may hand over strings whose memory they reuse after Emit.
type span struct{ off, n int }

// encMark is the encoder state before an Add, so the Add can be undone.
type encMark struct {
	n, count int
	prev     [numStrFields]span
}

func (e *ChunkEncoder) mark() encMark { return encMark{len(e.buf), e.count, e.prev} }

// undo drops everything added since m.
func (e *ChunkEncoder) undo(m encMark) {
	e.buf, e.count, e.prev = e.buf[:m.n], m.count, m.prev
}

// NewChunkEncoder starts a chunk of kind from source.
func NewChunkEncoder(kind, source string, sizeHint int) *ChunkEncoder {
	e := &ChunkEncoder{buf: make([]byte, 0, sizeHint)}
	e.Reset(kind, source)
	return e
}

// Reset starts a new chunk, reusing the buffer.
func (e *ChunkEncoder) Reset(kind, source string) {
	e.buf = append(e.buf[:0], chunkMagic...)
	e.buf = appendStr(e.buf, kind)
	e.buf = appendStr(e.buf, source)
	e.buf = append(e.buf, 0, 0, 0, 0) // entry count, patched by Bytes
	e.count = 0
	e.prev = [numStrFields]span{}
}

// Len is the encoded size so far.
func (e *ChunkEncoder) Len() int { return len(e.buf) }

// Count is the number of entries added.
func (e *ChunkEncoder) Count() int { return e.count }

// Bytes returns the encoded chunk; it aliases the encoder's buffer until Reset.
func (e *ChunkEncoder) Bytes() []byte {
	off := e.countOffset()
	binary.LittleEndian.PutUint32(e.buf[off:], uint32(e.count))
	return e.buf
}

func (e *ChunkEncoder) countOffset() int {
	off := len(chunkMagic)
	for range 2 {
		n, w := binary.Uvarint(e.buf[off:])
		off += w + int(n)
	}
	return off
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func (e *ChunkEncoder) field(i int, s string) {
	if p := e.prev[i]; e.count > 0 && p.n == len(s) && string(e.buf[p.off:p.off+p.n]) == s {
		e.buf = append(e.buf, 0)
		return
	}
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s))+1)
	e.prev[i] = span{len(e.buf), len(s)}
	e.buf = append(e.buf, s...)
}

func (e *ChunkEncoder) list(l []string) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(l)))
	for _, s := range l {
		e.buf = appendStr(e.buf, s)
	}
}

const (
	flagHTML = 1 << iota
	flagTiming
)

// Add appends one entry. Kind and Source are the chunk's and are not repeated.
func (e *ChunkEncoder) Add(en *Entry) {
	e.field(fID, en.ID)
	e.field(fOrigin, en.Origin)
	e.field(fTitle, en.Title)
	e.field(fURL, en.URL)
	e.list(en.Authors)
	e.buf = binary.AppendVarint(e.buf, timeMicros(en.Published))
	e.buf = binary.AppendVarint(e.buf, timeMicros(en.Ingested))
	e.field(fText, en.Text)
	var flags byte
	if en.HTML {
		flags |= flagHTML
	}
	if en.Timing != nil {
		flags |= flagTiming
	}
	e.buf = append(e.buf, flags)
	e.field(fLang, en.Lang)
	e.buf = binary.AppendUvarint(e.buf, uint64(uint32(en.Words)))
	e.list(en.Categories)
	e.list(en.Tags)
	if en.Timing != nil {
		e.buf = binary.AppendVarint(e.buf, en.Timing.StartMs)
		e.buf = binary.AppendVarint(e.buf, en.Timing.EndMs)
	}
	e.field(fLevel, en.Level)
	e.buf = binary.AppendUvarint(e.buf, uint64(len(en.Attrs)))
	for _, a := range en.Attrs {
		e.buf = appendStr(e.buf, a.Key)
		e.buf = appendStr(e.buf, a.Value)
	}
	e.count++
}

func timeMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func microsTime(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// EncodeChunk encodes a whole chunk (used by stages after transforming one).
func EncodeChunk(c *Chunk, buf []byte) []byte {
	enc := ChunkEncoder{buf: buf[:0]}
	enc.Reset(c.Kind, c.Source)
	for i := range c.Entries {
		enc.Add(&c.Entries[i])
	}
	return enc.Bytes()
}

// ErrCorruptChunk is returned for bytes that are not a valid encoded chunk.
var ErrCorruptChunk = errors.New("corrupt chunk")

// DecodeChunk parses a chunk in wire (compressed) or plain form. Every field is
// sliced out of one string holding the plain bytes, so decoding costs a handful
// of allocations per chunk rather than several per entry. Malformed input
// returns ErrCorruptChunk.
func DecodeChunk(data []byte, c *Chunk) error {
	if len(data) >= len(compressedMagic) && string(data[:len(compressedMagic)]) == compressedMagic {
		n, err := s2.DecodedLen(data[len(compressedMagic):])
		if err != nil || n > maxDecodedChunk {
			return fmt.Errorf("%w: bad compressed length", ErrCorruptChunk)
		}
		raw, err := s2.Decode(make([]byte, n), data[len(compressedMagic):])
		if err != nil {
			return fmt.Errorf("%w: %v", ErrCorruptChunk, err)
		}
		// raw is ours alone and never written again: view it as the string
		// the fields are sliced from, without another copy.
		return decodeRaw(raw, unsafe.String(unsafe.SliceData(raw), len(raw)), c)
	}
	return decodeRaw(data, string(data), c)
}

func decodeRaw(data []byte, s string, c *Chunk) error {
	if len(data) < len(chunkMagic) || string(data[:len(chunkMagic)]) != chunkMagic {
		return fmt.Errorf("%w: bad magic", ErrCorruptChunk)
	}
	d := chunkDecoder{s: s, off: len(chunkMagic)}
	c.Kind = d.str()
	c.Source = d.str()
	if d.err != nil || d.off+4 > len(s) {
		return fmt.Errorf("%w: truncated header", ErrCorruptChunk)
	}
	n := int(binary.LittleEndian.Uint32(data[d.off:]))
	d.off += 4
	// Every entry takes at least 15 bytes, so a count beyond that is a lie.
	if n > (len(s)-d.off)/15 {
		return fmt.Errorf("%w: entry count %d exceeds data", ErrCorruptChunk, n)
	}
	c.Entries = make([]Entry, n)
	var prev [numStrFields]string
	field := func(i int) string {
		v, repeat := d.field()
		if repeat {
			return prev[i]
		}
		prev[i] = v
		return v
	}
	for i := range c.Entries {
		en := &c.Entries[i]
		en.Kind, en.Source = c.Kind, c.Source
		en.ID = field(fID)
		en.Origin = field(fOrigin)
		en.Title = field(fTitle)
		en.URL = field(fURL)
		en.Authors = d.list()
		en.Published = microsTime(d.varint())
		en.Ingested = microsTime(d.varint())
		en.Text = field(fText)
		flags := d.byte()
		en.HTML = flags&flagHTML != 0
		en.Lang = field(fLang)
		en.Words = int32(d.uvarint())
		en.Categories = d.list()
		en.Tags = d.list()
		if flags&flagTiming != 0 {
			en.Timing = &Timing{StartMs: d.varint(), EndMs: d.varint()}
		}
		en.Level = field(fLevel)
		if na := d.count(2); na > 0 {
			en.Attrs = cut(&d.attrs, na)
			for j := range en.Attrs {
				en.Attrs[j] = Attr{d.str(), d.str()}
			}
		}
		if d.err != nil {
			return fmt.Errorf("%w: entry %d: %v", ErrCorruptChunk, i, d.err)
		}
	}
	if d.off != len(s) {
		return fmt.Errorf("%w: %d trailing bytes", ErrCorruptChunk, len(s)-d.off)
	}
	return nil
}

type chunkDecoder struct {
	s     string
	off   int
	err   error
	attrs []Attr   // block that per-entry attrs are cut from
	strs  []string // block that per-entry lists are cut from
}

// cut returns n elements cut from a shared block, so a chunk of log lines costs
// a few allocations instead of one per line. The capacity is clipped, so a
// stage that appends to one entry's attrs or lists reallocates rather than
// overwriting the next entry's.
func cut[T any](block *[]T, n int) []T {
	if len(*block)+n > cap(*block) {
		*block = make([]T, 0, max(n, 1024))
	}
	start := len(*block)
	*block = (*block)[:start+n]
	return (*block)[start : start+n : start+n]
}

var errShort = errors.New("truncated")

func (d *chunkDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	var x uint64
	var shift uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.off >= len(d.s) {
			d.err = errShort
			return 0
		}
		b := d.s[d.off]
		d.off++
		if b < 0x80 {
			return x | uint64(b)<<shift
		}
		x |= uint64(b&0x7f) << shift
		shift += 7
	}
	d.err = errors.New("varint overflow")
	return 0
}

func (d *chunkDecoder) varint() int64 {
	u := d.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func (d *chunkDecoder) byte() byte {
	if d.err != nil || d.off >= len(d.s) {
		d.err = errShort
		return 0
	}
	b := d.s[d.off]
	d.off++
	return b
}

func (d *chunkDecoder) take(n uint64) string {
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.s)-d.off) {
		d.err = errShort
		return ""
	}
	v := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return v
}

func (d *chunkDecoder) str() string { return d.take(d.uvarint()) }

// field reads a repeated-string field; repeat is true for "same as previous".
func (d *chunkDecoder) field() (string, bool) {
	n := d.uvarint()
	if n == 0 {
		return "", d.err == nil
	}
	return d.take(n - 1), false
}

// count reads a list length, bounded by what the remaining bytes could hold.
func (d *chunkDecoder) count(minBytesPerItem int) int {
	n := d.uvarint()
	if d.err == nil && n > uint64((len(d.s)-d.off)/minBytesPerItem) {
		d.err = errShort
		return 0
	}
	return int(n)
}

func (d *chunkDecoder) list() []string {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	l := cut(&d.strs, n)
	for i := range l {
		l[i] = d.str()
	}
	return l
}
