package safetext

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Line sanitizes s for a single-line display: every control character,
// newlines included, becomes visible caret or \u notation.
func Line(s string) string { return clean(s, false) }

// Block sanitizes s for multi-line display: like Line, but newlines and tabs
// are kept. CR is shown (a lone CR would let text overwrite earlier text).
func Block(s string) string { return clean(s, true) }

// Lines sanitizes every element with Line.
func Lines(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = Line(s)
	}
	return out
}

// IsClean reports whether Line(s) == s, without allocating for the common case.
func IsClean(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if visible(r) != "" {
			return false
		}
		i += size
	}
	return true
}

func clean(s string, multiline bool) string {
	if IsClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case multiline && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		default:
			if v := visible(r); v != "" {
				b.WriteString(v)
			} else {
				b.WriteRune(r)
			}
		}
		i += size
	}
	return b.String()
}

// visible returns the printable stand-in for r, or "" when r may be printed
// as is.
func visible(r rune) string {
	switch {
	case r < 0x20:
		return "^" + string(rune(r+'@'))
	case r == 0x7f:
		return "^?"
	case r >= 0x80 && r <= 0x9f:
		return fmt.Sprintf(`\u%04x`, r)
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
		r == 0x200e, r == 0x200f, r >= 0x200b && r <= 0x200d,
		r == 0x061c, r == 0xfeff, r == 0x2028, r == 0x2029:
		// Bidi overrides, zero-width characters and line separators make text
		// display differently from what it is (Trojan Source, CVE-2021-42574).
		return fmt.Sprintf("<U+%04X>", r)
	}
	return ""
}
