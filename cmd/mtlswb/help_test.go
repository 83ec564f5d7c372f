package main

import (
	"bytes"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// TestHelpCommandIsCommandHelp: `mtlswb help CMD` prints what `mtlswb CMD
// --help` prints, subcommands included.
func TestHelpCommandIsCommandHelp(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), vars: map[string]string{}}
	e.ws = e.dir + "/none.db"
	for _, args := range [][]string{{"send"}, {"ls"}, {"pki", "ca"}, {"unlock"}, {"completion"}} {
		viaHelp := e.run(append([]string{"help"}, args...)...)
		direct := e.run(append(args, "--help")...)
		if viaHelp.code != 0 || viaHelp.stdout != direct.stdout {
			t.Errorf("help %v differs from %v --help:\n%s\n---\n%s", args, args, viaHelp, direct)
		}
		if !strings.HasPrefix(viaHelp.stdout, "Usage: mtlswb "+strings.Join(args, " ")) {
			t.Errorf("help %v shows another command's usage:\n%s", args, viaHelp.stdout)
		}
	}
}

// TestHelpFlagsFormat: every flag line spells flags with -- (one letter:
// -), names a placeholder instead of Go's type words, and shows no internal
// default such as -2.
func TestHelpFlagsFormat(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), vars: map[string]string{}}
	e.ws = e.dir + "/none.db"
	for _, cmd := range commands {
		paths := [][]string{{cmd.name}}
		for _, sub := range subcommands[cmd.name] {
			paths = append(paths, []string{cmd.name, sub})
		}
		for _, p := range paths {
			out := e.run(append(p, "--help")...).stdout
			for _, line := range strings.Split(out, "\n") {
				if !strings.HasPrefix(line, "  -") {
					continue
				}
				left, _, _ := strings.Cut(strings.TrimSpace(line), "  ")
				for _, spelled := range strings.Split(left, ", ") {
					name, _, _ := strings.Cut(spelled, " ")
					if single := !strings.HasPrefix(name, "--"); single == (len(name) > 2) {
						t.Errorf("%v: flag %q spelled with the wrong dashes in %q", p, name, line)
					}
				}
				for _, word := range strings.Fields(left) {
					if word == "value" || word == "string" || word == "int" || word == "duration" || word == "float" {
						t.Errorf("%v: Go's type word %q as a placeholder in %q", p, word, line)
					}
				}
				if strings.Contains(line, "(default -") || strings.Contains(line, `(default "`) {
					t.Errorf("%v: an internal default in %q", p, line)
				}
			}
			if cmd.name == "send" {
				for _, group := range []string{"Request flags:", "TLS flags:", "Output flags:", "Workspace flags:"} {
					if !strings.Contains(out, group) {
						t.Errorf("send --help lacks %q", group)
					}
				}
			}
		}
	}
}

func TestVersion(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), vars: map[string]string{}}
	for _, flag := range []string{"--version", "-V", "version"} {
		r := e.run(flag)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "mtlswb ") || !strings.Contains(r.stdout, "go1.") {
			t.Errorf("%s: %s", flag, r)
		}
	}
}

// TestManPageUpToDate: docs/mtlswb.1 is the help text as it is now; run
// `make man` after changing a command or a flag.
func TestManPageUpToDate(t *testing.T) {
	committed, err := os.ReadFile("../../docs/mtlswb.1")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	writeMan(&got, func(string) string { return "" })
	if got.String() != string(committed) {
		t.Error("docs/mtlswb.1 is stale: run `make man`")
	}
	for _, want := range []string{".SS send", "\\-\\-resolve", ".SS pki issue", ".SS unlock"} {
		if !strings.Contains(got.String(), want) {
			t.Errorf("the man page lacks %q", want)
		}
	}
}

func TestCompletionWords(t *testing.T) {
	e := newEnv(t)
	e.ok("pki", "ca", "root", "--cn", "Root")
	e.ok("pki", "issue", "joe", "--ca", "root", "--cn", "joe")
	e.ok("pki", "issue", "jill", "--ca", "root", "--cn", "jill")
	e.ok("profile", "add", "partner", "--host", "api.partner.example", "--identity", "joe", "--env", "staging")
	delete(e.vars, "MTLSWB_PASSPHRASE") // names never need it
	cases := []struct {
		words []string
		want  []string
	}{
		{[]string{"pr"}, []string{"probe", "profile"}},
		{[]string{"--"}, []string{"--workspace", "--passphrase-file", "--help", "--version"}},
		{[]string{"send", "--ide"}, []string{"--identity"}},
		{[]string{"send", "--identity", "j"}, []string{"jill", "joe"}},
		{[]string{"send", "--ca", ""}, []string{"root"}},
		{[]string{"show", ""}, []string{"jill", "joe", "root"}},
		{[]string{"send", "--profile", "p"}, []string{"partner"}},
		{[]string{"which", "--env", ""}, []string{"staging"}},
		{[]string{"profile", "show", ""}, []string{"partner"}},
		{[]string{"pki", ""}, []string{"ca", "issue", "self-signed"}},
		{[]string{"pki", "issue", "x", "--ca", "r"}, []string{"root"}},
		{[]string{"help", "comp"}, []string{"completion"}},
		{[]string{"completion", ""}, []string{"bash", "zsh", "fish"}},
		{[]string{"send", "-o", ""}, nil}, // a file: the shell's
		{[]string{"send", "-k", ""}, nil}, // the URL
	}
	for _, tc := range cases {
		r := e.run(append([]string{"completion", "words", "--"}, tc.words...)...)
		var got []string
		if s := strings.TrimSpace(r.stdout); s != "" {
			got = strings.Split(s, "\n")
		}
		if r.code != 0 || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("complete %q = %q (exit %d), want %q", tc.words, got, r.code, tc.want)
		}
	}
}

// TestCompletionScripts: each shell's script parses in that shell (when
// the shell is installed).
func TestCompletionScripts(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), vars: map[string]string{}}
	for shell, check := range map[string][]string{"bash": {"-n"}, "zsh": {"-n"}, "fish": {"--no-execute"}} {
		r := e.run("completion", shell)
		if r.code != 0 || !strings.Contains(r.stdout, "mtlswb completion words") {
			t.Errorf("completion %s: %s", shell, r)
			continue
		}
		if _, err := exec.LookPath(shell); err != nil {
			t.Logf("%s is not installed: its script is not parsed", shell)
			continue
		}
		cmd := exec.Command(shell, check...)
		cmd.Stdin = strings.NewReader(r.stdout)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s does not parse its script: %v\n%s", shell, err, out)
		}
	}
	if r := e.run("completion", "tcsh"); r.code != 2 {
		t.Errorf("unknown shell: %s", r)
	}
}
