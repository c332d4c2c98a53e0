package parquet

// idSet is a set of 64-bit id hashes with open addressing: 16 bytes per id at
// most, instead of the ~40 a Go map costs, because the sink remembers every id
// of its dedup window (a busy day is millions of entries).
type idSet struct {
	slots []uint64 // 0 marks an empty slot; hash 0 is stored as 1
	n     int
}

func (s *idSet) has(h uint64) bool {
	if s.n == 0 {
		return false
	}
	h = nonZero(h)
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

// add inserts h and reports whether it was new.
func (s *idSet) add(h uint64) bool {
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	h = nonZero(h)
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return false
		case 0:
			s.slots[i] = h
			s.n++
			return true
		}
	}
}

func (s *idSet) grow() {
	old := s.slots
	s.slots = make([]uint64, max(1024, 2*len(old)))
	s.n = 0
	for _, h := range old {
		if h != 0 {
			s.add(h)
		}
	}
}

func nonZero(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

// merge adds every id of o.
func (s *idSet) merge(o *idSet) {
	for _, h := range o.slots {
		if h != 0 {
			s.add(h)
		}
	}
}
