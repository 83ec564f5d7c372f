package tui

import (
	"strings"
)

// Lists lay their rows out in columns sized from their content and the
// width: every column starts as wide as its widest cell (or its title), the
// flexible ones (URLs, subjects) give way first, then columns drop in their
// drop order, so at 200 columns names and URLs show whole and at 80 the
// least useful column goes first. A header names each column and marks
// the one the rows are sorted by.

// column describes one column; a row holds one cell per column.
type column struct {
	title string
	min   int  // narrowest it may get
	flex  bool // gives way first when the width is short
	drop  int  // drop order when even the minimums do not fit: 1 first; 0 never
	right bool // aligned right (numbers)
}

// layout sizes the columns for w cells (after the pointer and mark);
// dropped columns get width 0.
func layout(cols []column, natural []int, w int) []int {
	n := len(cols)
	widths := make([]int, n)
	shown := make([]bool, n)
	for i := range cols {
		shown[i] = true
	}
	need := func(minimal bool) int {
		t, k := 0, 0
		for i, c := range cols {
			if !shown[i] {
				continue
			}
			cw := natural[i]
			if minimal && c.flex {
				// Flexible columns give way before anything drops; the
				// others drop before they are cut.
				cw = min(cw, max(c.min, 1))
			}
			t += cw
			k++
		}
		return t + 2*max(k-1, 0)
	}
	for need(true) > w {
		next := -1
		for i, c := range cols {
			if shown[i] && c.drop > 0 && (next < 0 || c.drop < cols[next].drop) {
				next = i
			}
		}
		if next < 0 {
			break
		}
		shown[next] = false
	}
	for i := range cols {
		if shown[i] {
			widths[i] = natural[i]
		}
	}
	excess := need(false) - w
	// Flexible columns give way first, the last one first; then the
	// others, in drop order, down to their minimum.
	for pass := 0; pass < 2 && excess > 0; pass++ {
		for i := n - 1; i >= 0 && excess > 0; i-- {
			c := cols[i]
			if !shown[i] || c.flex != (pass == 0) {
				continue
			}
			cut := min(excess, widths[i]-min(widths[i], max(c.min, 1)))
			widths[i] -= cut
			excess -= cut
		}
	}
	if excess > 0 {
		for i := n - 1; i >= 0; i-- {
			if shown[i] {
				widths[i] = max(widths[i]-excess, 1)
				break
			}
		}
	}
	return widths
}

// measure is the natural width of each column (its widest cell or title)
// and the width of the widest row's badges.
func measure(cols []column, rows []row) (nat []int, badgeW int) {
	nat = make([]int, len(cols))
	for i, c := range cols {
		nat[i] = textWidth(c.title) + 2 // room for a sort arrow
	}
	for r := range rows {
		for i, cell := range rows[r].cells {
			if i < len(nat) {
				nat[i] = max(nat[i], textWidth(cell))
			}
		}
		bw := 0
		for _, b := range rows[r].badges {
			bw += 1 + textWidth(b.text)
		}
		badgeW = max(badgeW, bw)
	}
	return nat, badgeW
}

// joinCells lays cells out in widths (0 skips a column).
func joinCells(cells []string, cols []column, widths []int) string {
	var b strings.Builder
	first := true
	for i, w := range widths {
		if w == 0 {
			continue
		}
		if !first {
			b.WriteString("  ")
		}
		first = false
		cell := ""
		if i < len(cells) {
			cell = cells[i]
		}
		if cols[i].right && textWidth(cell) < w {
			b.WriteString(strings.Repeat(" ", w-textWidth(cell)) + cell)
			continue
		}
		b.WriteString(fit(cell, w))
	}
	return b.String()
}

// header is the column titles, the sorted one marked ▲ (ascending) or ▼.
func header(cols []column, widths []int, sortCol int, desc bool) []string {
	cells := make([]string, len(cols))
	for i, c := range cols {
		cells[i] = c.title
		if i == sortCol {
			if desc {
				cells[i] += " ▼"
			} else {
				cells[i] += " ▲"
			}
		}
	}
	return cells
}

// spanOf is how wide columns of these widths are with their gaps.
func spanOf(widths []int) int {
	t, k := 0, 0
	for _, w := range widths {
		if w > 0 {
			t += w
			k++
		}
	}
	return t + 2*max(k-1, 0)
}
