package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEReferenceMatchesCommands parses the README's CLI reference and
// checks that every command it names exists and that `--help` lists every
// flag it names, so the documentation cannot drift from the program.
func TestREADMEReferenceMatchesCommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "## CLI reference")
	if start < 0 {
		t.Fatal("README has no '## CLI reference' section")
	}
	section = section[start:]
	// The command table ends at the next heading (### Environment).
	if end := strings.Index(section[3:], "\n#"); end >= 0 {
		section = section[:end+3]
	}
	rowRE := regexp.MustCompile("(?m)^\\| `([^`]+)`")
	flagRE := regexp.MustCompile(`(?:^|[\s\[|])(--?[a-zA-Z][a-zA-Z0-9-]*)`)
	e := &env{t: t, dir: t.TempDir(), vars: map[string]string{}}
	e.ws = e.dir + "/none.db"
	checked := 0
	for _, m := range rowRE.FindAllStringSubmatch(section, -1) {
		synopsis := m[1]
		words := strings.Fields(synopsis)
		if len(words) == 0 || words[0] == "mtlswb" {
			continue // the row of the bare `mtlswb`
		}
		if findCommand(words[0]) == nil {
			t.Errorf("README names command %q, which mtlswb does not have", words[0])
			continue
		}
		args := []string{words[0]}
		// A subcommand is a lowercase word after the command ("pki ca",
		// "profile add"); NAME, [flags] and a|b alternatives are not.
		if len(words) > 1 && regexp.MustCompile(`^[a-z][a-z-]*$`).MatchString(words[1]) {
			args = append(args, words[1])
		}
		help := e.run(append(args, "--help")...)
		if help.code != 0 {
			t.Errorf("mtlswb %s --help: %s", strings.Join(args, " "), help)
			continue
		}
		for _, fm := range flagRE.FindAllStringSubmatch(synopsis, -1) {
			flag := strings.TrimLeft(fm[1], "-")
			if flag == "help" {
				continue
			}
			if !regexp.MustCompile(`(?m)^\s+-{1,2}` + regexp.QuoteMeta(flag) + `\b`).MatchString(help.stdout) {
				t.Errorf("README documents %s for `mtlswb %s`, but its --help does not list it:\n%s", fm[1], strings.Join(args, " "), help.stdout)
			}
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("checked only %d commands in the README reference; the table format changed?", checked)
	}
	// Every environment variable the README documents is read by the program.
	help := e.run("help").stdout
	for _, v := range regexp.MustCompile("`(MTLSWB_[A-Z_]+)`").FindAllStringSubmatch(string(readme), -1) {
		if !strings.Contains(help, v[1]) {
			t.Errorf("README documents %s, but `mtlswb help` does not", v[1])
		}
	}
}
