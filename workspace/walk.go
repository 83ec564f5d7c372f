package workspace

import (
	"fmt"
)

// walker visits every page reachable from a file's root bucket, checking
// each offset before it reads through it. A bitmap marks visited pages, so
// no page is read twice: a page structure that loops ends the walk instead
// of sending it round forever, and the walk is bounded by the file's page
// count however the pages point.
type walker struct {
	l    *layout
	seen bitmap
	free bitmap
	// strict stops at the first problem (the check before every use);
	// otherwise problems are collected and the damaged subtree is skipped
	// (doctor salvaging what is readable).
	strict   bool
	problems []string
	// onKV, when set, gets every key and value below the root, with the
	// names of the buckets holding it and the page it is on. Slices point
	// into the file.
	onKV func(path []string, page uint64, k, v []byte)
	// topLevel collects the root bucket's buckets and their sequences.
	topLevel map[string]uint64
	page     uint64 // the page being read, for onKV
}

type bitmap []uint64

func newBitmap(n uint64) bitmap    { return make(bitmap, (n+63)/64) }
func (b bitmap) has(i uint64) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitmap) set(i uint64)      { b[i/64] |= 1 << (i % 64) }
func (b bitmap) setRange(i, n uint64) {
	for j := i; j < i+n; j++ {
		b.set(j)
	}
}
func (w *walker) stopped() bool           { return w.strict && len(w.problems) > 0 }
func (w *walker) fail(f string, a ...any) { w.problems = append(w.problems, fmt.Sprintf(f, a...)) }

func newWalker(l *layout, strict bool) *walker {
	return &walker{l: l, seen: newBitmap(l.pages), free: newBitmap(l.pages), strict: strict, topLevel: map[string]uint64{}}
}

// run walks the free-page list and then the tree. It returns the first
// problem in strict mode.
func (w *walker) run() error {
	ids, err := w.l.freePages()
	if err != nil {
		w.fail("%v", err)
	}
	for _, id := range ids {
		if w.free.has(id) {
			w.fail("the free-page list names page %d twice", id)
			break
		}
		w.free.set(id)
	}
	if w.l.meta.freelist != noFreelist && err == nil {
		if p, _, _, err := w.l.page(w.l.meta.freelist); err == nil {
			w.seen.setRange(w.l.meta.freelist, uint64(len(p))/w.l.pageSize)
		}
	}
	if !w.stopped() {
		w.walkPage(nil, w.l.meta.root, 0)
	}
	if w.strict && len(w.problems) > 0 {
		return fmt.Errorf("%s", w.problems[0])
	}
	return nil
}

func (w *walker) walkPage(path []string, id uint64, depth int) {
	if w.stopped() {
		return
	}
	if depth > maxTreeDepth {
		w.fail("the tree below page %d is deeper than any real file's", id)
		return
	}
	p, flags, count, err := w.l.page(id)
	if err != nil {
		w.fail("%v", err)
		return
	}
	n := uint64(len(p)) / w.l.pageSize
	for j := id; j < id+n; j++ {
		if w.seen.has(j) {
			w.fail("page %d is reached twice: the page structure loops or is shared", j)
			return
		}
		if w.free.has(j) {
			w.fail("page %d is in use but also listed as free", j)
			if w.strict {
				return
			}
			// Salvaging: the free-page list is the likelier one to be
			// wrong, and the page may hold what is being recovered.
		}
	}
	w.seen.setRange(id, n)
	switch flags {
	case pageBranch:
		if count == 0 {
			w.fail("branch page %d is empty", id)
			return
		}
		if pageHeaderSize+count*elementSize > len(p) {
			w.fail("branch page %d claims %d entries, more than it holds", id, count)
			return
		}
		for i := range count {
			eo := pageHeaderSize + i*elementSize
			pos, ksize := uint64(ne.Uint32(p[eo:])), uint64(ne.Uint32(p[eo+4:]))
			if uint64(eo)+pos+ksize > uint64(len(p)) || ksize == 0 {
				w.fail("branch page %d: entry %d points past the page or has no key", id, i)
				return
			}
			w.walkPage(path, ne.Uint64(p[eo+8:]), depth+1)
			if w.stopped() {
				return
			}
		}
	case pageLeaf:
		w.page = id
		w.walkLeaf(path, p, count, id, fmt.Sprintf("page %d", id), depth)
	default:
		w.fail("page %d should hold data but has type %#x", id, flags)
	}
}

// walkLeaf checks a leaf's entries (p starts at its page header, which for
// an inline bucket lies inside a value on page id) and descends into its
// buckets.
func (w *walker) walkLeaf(path []string, p []byte, count int, id uint64, where string, depth int) {
	if pageHeaderSize+count*elementSize > len(p) {
		w.fail("leaf %s claims %d entries, more than it holds", where, count)
		return
	}
	for i := range count {
		eo := pageHeaderSize + i*elementSize
		flags := ne.Uint32(p[eo:])
		pos, ksize, vsize := uint64(ne.Uint32(p[eo+4:])), uint64(ne.Uint32(p[eo+8:])), uint64(ne.Uint32(p[eo+12:]))
		start := uint64(eo) + pos
		// bbolt never stores an empty key, and asserts on one it reads.
		if start+ksize+vsize > uint64(len(p)) || ksize == 0 {
			w.fail("leaf %s: entry %d points past the page or has no key", where, i)
			if w.stopped() {
				return
			}
			continue
		}
		k, v := p[start:start+ksize], p[start+ksize:start+ksize+vsize]
		switch {
		case flags&^leafBucket != 0:
			w.fail("leaf %s: entry %d has unknown flags %#x", where, i, flags)
		case flags&leafBucket != 0:
			if path == nil && len(v) >= bucketHeaderSize {
				w.topLevel[string(k)] = ne.Uint64(v[8:])
			}
			w.walkBucket(append(path[:len(path):len(path)], string(k)), v, id, depth+1)
			w.page = id
		case path == nil:
			w.fail("leaf %s: the top level holds a value %q where only tables belong", where, k)
		case w.onKV != nil:
			w.onKV(path, w.page, k, v)
		}
		if w.stopped() {
			return
		}
	}
}

// walkBucket follows a bucket's header to its root page, or reads its
// inline page from the value itself (on page id).
func (w *walker) walkBucket(path []string, v []byte, id uint64, depth int) {
	name := path[len(path)-1]
	if len(v) < bucketHeaderSize {
		w.fail("page %d: table %q has a header cut short", id, name)
		return
	}
	root := ne.Uint64(v)
	if root != 0 {
		w.walkPage(path, root, depth)
		return
	}
	inline := v[bucketHeaderSize:]
	if len(inline) < pageHeaderSize || ne.Uint16(inline[8:]) != pageLeaf {
		w.fail("page %d: table %q is stored inline but is not a leaf", id, name)
		return
	}
	w.walkLeaf(path, inline, int(ne.Uint16(inline[10:])), id, fmt.Sprintf("page %d, table %q", id, name), depth)
}

// orphanLeaves calls fn for every leaf page the tree no longer reaches and
// the free-page list does not name: after damage to a branch page, the
// leaves below it are intact but cut off. Call it after run.
func (w *walker) orphanLeaves(fn func(id uint64, k, v []byte)) {
	for id := uint64(2); id < w.l.pages; id++ {
		if w.seen.has(id) || w.free.has(id) {
			continue
		}
		p, flags, count, err := w.l.page(id)
		if err != nil || flags != pageLeaf {
			continue
		}
		leaf := id
		id += uint64(len(p))/w.l.pageSize - 1
		if pageHeaderSize+count*elementSize > len(p) {
			continue
		}
		for i := range count {
			eo := pageHeaderSize + i*elementSize
			if ne.Uint32(p[eo:]) != 0 {
				continue
			}
			pos, ksize, vsize := uint64(ne.Uint32(p[eo+4:])), uint64(ne.Uint32(p[eo+8:])), uint64(ne.Uint32(p[eo+12:]))
			start := uint64(eo) + pos
			if start+ksize+vsize <= uint64(len(p)) {
				fn(leaf, p[start:start+ksize], p[start+ksize:start+ksize+vsize])
			}
		}
	}
}
