package pipeline

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The disk tier of a chunk buffer is a sequence of segment files, each a magic
// header followed by records:
//
//	uint32 length | uint32 CRC32C(payload) | payload
//	payload = uvarint len | subject | uvarint len | chunk id | chunk bytes
//
// A segment is deleted once every record in it is published. At start, records
// are recovered in order; a torn tail (a crash mid-write) is cut back to the last
// whole record, and a file with a bad record is moved aside after its valid
// prefix was taken over, so recovery never loops and never drops silently.
const (
	segmentMagic   = "RBF1"
	recordHeader   = 8
	segmentMaxSize = 16 << 20
	maxRecordSize  = maxPayload + 1<<10
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type segment struct {
	path    string
	size    int64
	pending int // records not yet published
	file    *os.File
}

// diskRecord locates one spilled chunk.
type diskRecord struct {
	seg      *segment
	off, len int64 // payload offset and length
}

type diskQueue struct {
	dir  string
	sync bool // fsync after every record: spills only happen while NATS is unreachable, so the cost is rare
	cur  *segment
	next int // number of the next segment file
}

// recovered is a chunk found in the disk tier at start.
type recovered struct {
	subject, id string
	rec         diskRecord
}

// recoveryReport says what recovery had to repair, for the error report.
type recoveryReport struct {
	TornBytes  int64    // cut from torn tails
	MovedAside []string // corrupt files kept for inspection
}

func openDiskQueue(dir string, fsync bool) (*diskQueue, []recovered, recoveryReport, error) {
	q := &diskQueue{dir: dir, sync: fsync}
	var rep recoveryReport
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, rep, err
	}
	names, err := filepath.Glob(filepath.Join(dir, "seg-*.rbuf"))
	if err != nil {
		return nil, nil, rep, err
	}
	sort.Strings(names)
	if len(names) > 0 {
		fmt.Sscanf(filepath.Base(names[len(names)-1]), "seg-%016d.rbuf", &q.next)
		q.next++
	}
	var out []recovered
	for _, name := range names {
		seg, recs, torn, corrupt, err := scanSegment(name)
		if err != nil {
			return nil, nil, rep, err
		}
		rep.TornBytes += torn
		if !corrupt {
			seg.file.Close()
			seg.file = nil
			if torn > 0 {
				if err := os.Truncate(name, seg.size); err != nil {
					return nil, nil, rep, err
				}
			}
			if len(recs) == 0 {
				os.Remove(name)
			}
			out = append(out, recs...)
			continue
		}
		// Take the valid prefix over into a fresh segment, then keep the damaged file aside.
		for _, r := range recs {
			data, err := r.rec.read()
			if err == nil {
				r.rec, err = q.append(r.subject, r.id, data)
			}
			if err != nil {
				seg.file.Close()
				return nil, nil, rep, err
			}
			out = append(out, r)
		}
		seg.file.Close()
		aside := filepath.Join(dir, "corrupt", filepath.Base(name)+"."+time.Now().UTC().Format("20060102T150405"))
		if err := os.MkdirAll(filepath.Dir(aside), 0o750); err != nil {
			return nil, nil, rep, err
		}
		if err := os.Rename(name, aside); err != nil {
			return nil, nil, rep, err
		}
		rep.MovedAside = append(rep.MovedAside, aside)
	}
	return q, out, rep, nil
}

// scanSegment reads the records of one file, leaving it open. torn counts the
// bytes of an incomplete last record (seg.size is then the valid length);
// corrupt reports a complete but invalid record or a bad header.
func scanSegment(name string) (seg *segment, recs []recovered, torn int64, corrupt bool, err error) {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil, nil, 0, false, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, 0, false, err
	}
	seg = &segment{path: name, file: f}
	magic := make([]byte, len(segmentMagic))
	if _, err := io.ReadFull(f, magic); err != nil || string(magic) != segmentMagic {
		if st.Size() >= int64(len(segmentMagic)) {
			return seg, nil, 0, true, nil
		}
		// Shorter than its header: it was being created during a crash and holds nothing.
		return seg, nil, st.Size(), false, nil
	}
	off := int64(len(segmentMagic))
	var hdr [recordHeader]byte
	for off < st.Size() {
		if st.Size()-off < recordHeader {
			torn = st.Size() - off
			break
		}
		if _, err := f.ReadAt(hdr[:], off); err != nil {
			f.Close()
			return nil, nil, 0, false, err
		}
		n := int64(binary.LittleEndian.Uint32(hdr[:4]))
		if n > maxRecordSize {
			corrupt = true
			break
		}
		if off+recordHeader+n > st.Size() {
			torn = st.Size() - off
			break
		}
		payload := make([]byte, n)
		if _, err := f.ReadAt(payload, off+recordHeader); err != nil {
			f.Close()
			return nil, nil, 0, false, err
		}
		subject, id, headLen, ok := parseRecordHead(payload)
		if !ok || crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) {
			corrupt = true
			break
		}
		seg.pending++
		recs = append(recs, recovered{subject, id, diskRecord{seg, off + recordHeader + int64(headLen), n - int64(headLen)}})
		off += recordHeader + n
	}
	seg.size = off
	return seg, recs, torn, corrupt, nil
}

func parseRecordHead(p []byte) (subject, id string, n int, ok bool) {
	sl, w := binary.Uvarint(p)
	if w <= 0 || sl > uint64(len(p)-w) {
		return "", "", 0, false
	}
	subject = string(p[w : w+int(sl)])
	n = w + int(sl)
	il, w := binary.Uvarint(p[n:])
	if w <= 0 || il > uint64(len(p)-n-w) {
		return "", "", 0, false
	}
	id = string(p[n+w : n+w+int(il)])
	n += w + int(il)
	if !strings.HasPrefix(subject, SubjectRaw+".") {
		return "", "", 0, false
	}
	return subject, id, n, true
}

// append writes one chunk as a record and returns where it is.
func (q *diskQueue) append(subject, id string, data []byte) (diskRecord, error) {
	if q.cur == nil || q.cur.size >= segmentMaxSize {
		if err := q.rotate(); err != nil {
			return diskRecord{}, err
		}
	}
	head := binary.AppendUvarint(nil, uint64(len(subject)))
	head = append(head, subject...)
	head = binary.AppendUvarint(head, uint64(len(id)))
	head = append(head, id...)
	n := len(head) + len(data)
	rec := make([]byte, recordHeader, recordHeader+n)
	binary.LittleEndian.PutUint32(rec[:4], uint32(n))
	sum := crc32.Update(crc32.Checksum(head, castagnoli), castagnoli, data)
	binary.LittleEndian.PutUint32(rec[4:], sum)
	rec = append(append(rec, head...), data...)
	off := q.cur.size
	if _, err := q.cur.file.WriteAt(rec, off); err != nil {
		// Cut a partial write so the segment stays readable.
		q.cur.file.Truncate(off)
		return diskRecord{}, err
	}
	if q.sync {
		if err := q.cur.file.Sync(); err != nil {
			q.cur.file.Truncate(off)
			return diskRecord{}, err
		}
	}
	q.cur.size += int64(len(rec))
	q.cur.pending++
	return diskRecord{q.cur, off + recordHeader + int64(len(head)), int64(len(data))}, nil
}

func (q *diskQueue) rotate() error {
	if q.cur != nil {
		q.cur.file.Close()
		q.cur.file = nil
		if q.cur.pending == 0 {
			os.Remove(q.cur.path)
		}
	}
	path := filepath.Join(q.dir, fmt.Sprintf("seg-%016d.rbuf", q.next))
	q.next++
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		q.cur = nil
		return err
	}
	if _, err := f.Write([]byte(segmentMagic)); err != nil {
		f.Close()
		os.Remove(path)
		q.cur = nil
		return err
	}
	if q.sync {
		syncDir(q.dir)
	}
	q.cur = &segment{path: path, size: int64(len(segmentMagic)), file: f}
	return nil
}

// read loads a record's chunk bytes.
func (r diskRecord) read() ([]byte, error) {
	f := r.seg.file
	if f == nil {
		var err error
		if f, err = os.Open(r.seg.path); err != nil {
			return nil, err
		}
		defer f.Close()
	}
	buf := make([]byte, r.len)
	if _, err := f.ReadAt(buf, r.off); err != nil {
		return nil, fmt.Errorf("read buffered chunk from %s: %w", r.seg.path, err)
	}
	return buf, nil
}

// done marks a record published; a segment with nothing pending is deleted,
// except the one being written to, which is reset instead.
func (q *diskQueue) done(r diskRecord) {
	r.seg.pending--
	if r.seg.pending > 0 {
		return
	}
	if r.seg == q.cur {
		q.cur.file.Close()
		os.Remove(q.cur.path)
		q.cur = nil
		return
	}
	os.Remove(r.seg.path)
}

func (q *diskQueue) close() {
	if q.cur != nil && q.cur.file != nil {
		q.cur.file.Close()
		if q.cur.pending == 0 {
			os.Remove(q.cur.path)
		}
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
