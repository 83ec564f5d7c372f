package main

import (
	"strings"
	"testing"
)

// transcriptStep is one `$ mtlswb ...` line of a README transcript and what
// it must print.
type transcriptStep struct {
	line       int
	raw        string // the command line as written, for messages
	args       []string
	background bool // ends in &: runs until the test ends (serve)
	wantCode   int
	want       []string // expected output lines; see globLines
}

// readTranscript reads the ```console blocks of the README section that
// starts with heading. A trailing "# exits N" gives the expected exit code.
func readTranscript(t *testing.T, readme, heading string) []transcriptStep {
	t.Helper()
	_, sec, ok := strings.Cut(readme, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q section", heading)
	}
	if i := strings.Index(sec, "\n## "); i >= 0 {
		sec = sec[:i]
	}
	var steps []transcriptStep
	in := false
	for i, l := range strings.Split(sec, "\n") {
		switch {
		case !in && l == "```console":
			in = true
		case in && l == "```":
			in = false
		case in && strings.HasPrefix(l, "$ "):
			cmd, ok := strings.CutPrefix(l, "$ mtlswb ")
			if !ok {
				t.Fatalf("README line %q: only mtlswb commands can be run", l)
			}
			st := transcriptStep{line: i, raw: l}
			cmd, comment, _ := strings.Cut(cmd, "  #")
			if n, ok := strings.CutPrefix(strings.TrimSpace(comment), "exits "); ok {
				st.wantCode = int(n[0] - '0')
			}
			cmd = strings.TrimSpace(cmd)
			if c, ok := strings.CutSuffix(cmd, " &"); ok {
				cmd, st.background = c, true
			}
			st.args = shellWords(t, cmd)
			steps = append(steps, st)
		case in && len(steps) > 0:
			steps[len(steps)-1].want = append(steps[len(steps)-1].want, strings.TrimRight(l, " "))
		}
	}
	if len(steps) == 0 {
		t.Fatalf("the %q section has no ```console transcript", heading)
	}
	return steps
}

// shellWords splits a command line as sh would for the quoting the
// README uses. A $(cat FILE) in double quotes stays as it is: the file is
// read when the command runs (catFiles).
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '\'' || ch == '"':
			j := strings.IndexByte(s[i+1:], ch)
			if j < 0 {
				t.Fatalf("unbalanced quote in %q", s)
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case ch == ' ':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}
