package safetext

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"plain":            {"CN=joe,O=Acme", "CN=joe,O=Acme"},
		"unicode kept":     {"CN=Jürgen 日本", "CN=Jürgen 日本"},
		"osc52 clipboard":  {"CN=\x1b]52;c;ZXZpbA==\x07x", "CN=^[]52;c;ZXZpbA==^Gx"},
		"clear screen":     {"\x1b[2J", "^[[2J"},
		"c1 csi":           {"a\u009b6n", `a\u009b6n`},
		"cr and backspace": {"ok\rfake\b", "ok^Mfake^H"},
		"newline in line":  {"a\nb", "a^Jb"},
		"del":              {"a\x7f", "a^?"},
		"bidi override":    {"abc\u202edef", "abc<U+202E>def"},
		"zero width":       {"a\u200bb", "a<U+200B>b"},
		"invalid utf8":     {"a\xffb", `a\xffb`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Line(c.in); got != c.want {
				t.Errorf("Line(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestBlockKeepsNewlinesAndTabs(t *testing.T) {
	got := Block("a\n\tb\r\n\x1b[31mred")
	want := "a\n\tb^M\n^[[31mred"
	if got != want {
		t.Errorf("Block = %q, want %q", got, want)
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b]0;title\x07", "\u009b2J", "\xff\xfe", "\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Line(s), Block(s)} {
			if !utf8.ValidString(out) {
				t.Fatalf("output not valid UTF-8: %q", out)
			}
			for _, r := range out {
				if unicode.IsControl(r) && r != '\n' && r != '\t' {
					t.Fatalf("control rune %U survived in %q", r, out)
				}
				if visible(r) != "" && r != '\n' && r != '\t' {
					t.Fatalf("unsafe rune %U survived in %q", r, out)
				}
			}
		}
		if strings.ContainsAny(Line(s), "\n\t") {
			t.Fatalf("Line kept a newline or tab: %q", Line(s))
		}
	})
}
