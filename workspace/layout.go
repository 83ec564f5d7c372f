package workspace

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
)

// bbolt's on-disk layout, as go.etcd.io/bbolt v1.5.0 writes it
// (internal/common/page.go, meta.go, bucket.go). bbolt trusts its file: a
// page count pointing past the end faults the memory map, a branch page
// pointing at an ancestor sends its cursor down forever, and its assertions
// panic. Reading the structure ourselves first, with every offset checked,
// lets a damaged file be named instead of crashed on. bbolt writes in the
// machine's byte order; every platform mtlswb builds for is little-endian,
// which NativeEndian follows.
const (
	pageHeaderSize   = 16 // id u64, flags u16, count u16, overflow u32
	metaSize         = 64 // see boltMeta
	metaChecksummed  = 56 // the checksum covers the meta up to itself
	elementSize      = 16 // branch: pos, ksize u32, pgid u64; leaf: flags, pos, ksize, vsize u32
	bucketHeaderSize = 16 // root pgid u64, sequence u64

	pageBranch   = 0x01
	pageLeaf     = 0x02
	pageMeta     = 0x04
	pageFreelist = 0x10

	leafBucket = 0x01

	boltMagic   = 0xED0CDAED
	boltVersion = 2
	noFreelist  = ^uint64(0)

	// Deeper trees than this would need more pages than a file can hold;
	// the limit only stops a walk early on a crafted file.
	maxTreeDepth = 64
	// bbolt probes the second meta page at 1 KiB << 0..14.
	minPageSize = 1 << 10
	maxPageSize = 1 << 24
)

var ne = binary.NativeEndian

// boltMeta is a meta page's content.
type boltMeta struct {
	magic, version, pageSize, flags uint32
	root, sequence                  uint64
	freelist, pgid, txid, checksum  uint64
}

// parseMeta reads the meta held by the page starting at b and says why it is
// not usable, as bbolt's Meta.Validate does.
func parseMeta(b []byte) (boltMeta, error) {
	var m boltMeta
	if len(b) < pageHeaderSize+metaSize {
		return m, fmt.Errorf("the header page is cut short")
	}
	d := b[pageHeaderSize:]
	m = boltMeta{
		magic: ne.Uint32(d[0:]), version: ne.Uint32(d[4:]), pageSize: ne.Uint32(d[8:]), flags: ne.Uint32(d[12:]),
		root: ne.Uint64(d[16:]), sequence: ne.Uint64(d[24:]),
		freelist: ne.Uint64(d[32:]), pgid: ne.Uint64(d[40:]), txid: ne.Uint64(d[48:]), checksum: ne.Uint64(d[56:]),
	}
	switch {
	case m.magic != boltMagic:
		return m, fmt.Errorf("it does not start like a bbolt database")
	case m.version != boltVersion:
		return m, fmt.Errorf("it is bbolt format version %d, not %d", m.version, boltVersion)
	}
	h := fnv.New64a()
	h.Write(d[:metaChecksummed])
	if h.Sum64() != m.checksum {
		return m, fmt.Errorf("its header page fails its checksum")
	}
	return m, nil
}

// layout is a bbolt file's bytes with the meta bbolt would use.
type layout struct {
	data     []byte
	pageSize uint64
	meta     boltMeta
	// pages is the high-water mark: pages at or above it hold nothing.
	pages uint64
}

// readLayout finds the meta pages and checks what bbolt takes on trust
// before it maps the file: the page size, that the file holds every page
// the meta counts, and where the root and freelist are.
func readLayout(data []byte) (*layout, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("the file is empty (0 bytes)")
	}
	m, ps, err := pickMeta(data)
	if err != nil {
		return nil, err
	}
	size := uint64(len(data))
	l := &layout{data: data, pageSize: ps, meta: m, pages: m.pgid}
	switch {
	case m.pgid < 4:
		return nil, fmt.Errorf("its header counts %d pages, fewer than an empty database has", m.pgid)
	case m.pgid > size/ps:
		return nil, fmt.Errorf("the file is %d bytes but its header says the data runs to %d bytes: it was cut short (an interrupted copy or sync?)", size, m.pgid*ps)
	case size%ps != 0:
		return nil, fmt.Errorf("the file is %d bytes, not a whole number of %d-byte pages: it was cut short or appended to", size, ps)
	case m.root < 2 || m.root >= m.pgid:
		return nil, fmt.Errorf("its header points the root at page %d, outside the file's %d pages", m.root, m.pgid)
	case m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.pgid):
		return nil, fmt.Errorf("its header points the free-page list at page %d, outside the file's %d pages", m.freelist, m.pgid)
	}
	return l, nil
}

// pickMeta finds the page size and the meta bbolt would use: the valid one
// with the higher transaction id (a torn write of the newer one leaves the
// older one in charge). data must hold at least the file's first two pages.
func pickMeta(data []byte) (boltMeta, uint64, error) {
	var none boltMeta
	m0, err0 := parseMeta(data)
	ps := uint64(0)
	if err0 == nil {
		ps = uint64(m0.pageSize)
	} else {
		// Like bbolt, look for the second meta page at every page size.
		for i := 0; i <= 14; i++ {
			off := minPageSize << i
			if off+pageHeaderSize+metaSize > len(data) {
				break
			}
			if m, err := parseMeta(data[off:]); err == nil && int(m.pageSize) == off {
				ps = uint64(off)
				break
			}
		}
		if ps == 0 {
			return none, 0, fmt.Errorf("%v and no second header page was found: it is not a workspace file, or its start was overwritten", err0)
		}
	}
	if ps < minPageSize || ps > maxPageSize || ps&(ps-1) != 0 {
		return none, 0, fmt.Errorf("its header gives an impossible page size of %d bytes", ps)
	}
	size := uint64(len(data))
	if size < 2*ps {
		return none, 0, fmt.Errorf("the file is %d bytes, too short to hold its two header pages: it was cut short", size)
	}
	m1, err1 := parseMeta(data[ps:])
	if err1 == nil && uint64(m1.pageSize) != ps {
		err1 = fmt.Errorf("its second header page gives another page size")
	}
	switch {
	case err0 == nil && (err1 != nil || m0.txid >= m1.txid):
		return m0, ps, nil
	case err1 == nil:
		return m1, ps, nil
	}
	return none, 0, fmt.Errorf("both header pages are unreadable (%v; %v)", err0, err1)
}

// currentMeta is pickMeta for callers that only need the meta.
func currentMeta(data []byte) (boltMeta, bool) {
	m, _, err := pickMeta(data)
	return m, err == nil
}

// page returns page id with its overflow pages, after checking its header
// says it is that page and it fits below the high-water mark. bbolt asserts
// the same with a panic (Page.FastCheck) or not at all.
func (l *layout) page(id uint64) (p []byte, flags uint16, count int, err error) {
	if id < 2 || id >= l.pages {
		return nil, 0, 0, fmt.Errorf("a reference to page %d, outside the file's %d pages", id, l.pages)
	}
	start := id * l.pageSize
	hdr := l.data[start : start+pageHeaderSize]
	if got := ne.Uint64(hdr); got != id {
		return nil, 0, 0, fmt.Errorf("page %d calls itself page %d", id, got)
	}
	flags = ne.Uint16(hdr[8:])
	count = int(ne.Uint16(hdr[10:]))
	overflow := uint64(ne.Uint32(hdr[12:]))
	if id+overflow >= l.pages {
		return nil, 0, 0, fmt.Errorf("page %d claims %d more pages, past the end of the data", id, overflow)
	}
	return l.data[start : (id+1+overflow)*l.pageSize], flags, count, nil
}

// freePages reads the freelist page: ids of pages holding nothing live.
func (l *layout) freePages() ([]uint64, error) {
	if l.meta.freelist == noFreelist {
		return nil, nil
	}
	p, flags, count, err := l.page(l.meta.freelist)
	if err != nil {
		return nil, fmt.Errorf("free-page list: %v", err)
	}
	if flags != pageFreelist {
		return nil, fmt.Errorf("the free-page list's page %d has type %#x", l.meta.freelist, flags)
	}
	body := p[pageHeaderSize:]
	first := 0
	if count == 0xFFFF {
		// An overflowing count is stored as the first element.
		if len(body) < 8 {
			return nil, fmt.Errorf("the free-page list's page %d is cut short", l.meta.freelist)
		}
		n := ne.Uint64(body)
		if n > uint64(len(body)/8) {
			return nil, fmt.Errorf("the free-page list claims %d entries, more than its pages hold", n)
		}
		count, first = int(n), 1
	}
	if (first+count)*8 > len(body) {
		return nil, fmt.Errorf("the free-page list claims %d entries, more than its pages hold", count)
	}
	ids := make([]uint64, count)
	for i := range ids {
		ids[i] = ne.Uint64(body[(first+i)*8:])
		if ids[i] < 2 || ids[i] >= l.pages {
			return nil, fmt.Errorf("the free-page list names page %d, outside the file's %d pages", ids[i], l.pages)
		}
	}
	return ids, nil
}
