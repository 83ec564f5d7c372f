package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/mtlswb/mtlswb/workspace"
)

// Shell completion: `mtlswb completion bash|zsh|fish` prints a script that
// calls `mtlswb completion words WORD...` for the candidates, so the
// binary answers from its own command table, its own --help text and the
// workspace's names (read without the passphrase: names are not secret).

var completionScripts = map[string]string{
	"bash": `# mtlswb completion for bash: eval "$(mtlswb completion bash)"
_mtlswb() {
	local IFS=$'\n'
	COMPREPLY=($(mtlswb completion words -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -o nosort -F _mtlswb mtlswb
`,
	"zsh": `#compdef mtlswb
# mtlswb completion for zsh: eval "$(mtlswb completion zsh)"
_mtlswb() {
	local -a cands
	cands=("${(@f)$(mtlswb completion words -- "${(@)words[2,CURRENT]}" 2>/dev/null)}")
	if [[ -n "${cands[1]}" ]]; then
		compadd -Q -a cands
	else
		_files
	fi
}
compdef _mtlswb mtlswb
`,
	"fish": `# mtlswb completion for fish: mtlswb completion fish | source
complete -c mtlswb -a '(mtlswb completion words -- (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'
`,
}

// subcommands of the commands that have them.
var subcommands = map[string][]string{
	"pki":        {"ca", "issue", "self-signed"},
	"profile":    {"add", "edit", "ls", "show", "rm"},
	"env":        {"ls", "use"},
	"collection": {"export", "import"},
	"token":      {"check"},
	"completion": {"bash", "zsh", "fish"},
	"help":       nil, // filled with the command names
}

func cmdCompletion(c *cli, args []string) error {
	if len(args) > 0 && args[0] == "words" {
		words := args[1:]
		if len(words) > 0 && words[0] == "--" {
			words = words[1:]
		}
		for _, w := range c.complete(words) {
			fmt.Fprintln(c.stdout, w)
		}
		return nil
	}
	fs := c.flags()
	pos, err := c.parse(fs, args, "bash|zsh|fish")
	if err != nil {
		return err
	}
	if len(pos) != 1 || completionScripts[pos[0]] == "" {
		return usagef("name a shell: bash, zsh or fish (then: eval \"$(mtlswb completion bash)\")")
	}
	fmt.Fprint(c.stdout, completionScripts[pos[0]])
	return nil
}

// complete returns the candidates for the last of words (the word being
// typed, "" for a new one), the others being what stands before it.
func (c *cli) complete(words []string) []string {
	if len(words) == 0 {
		words = []string{""}
	}
	cur, before := words[len(words)-1], words[:len(words)-1]
	// The global flags may come first; --workspace says where names are.
	for len(before) > 0 && strings.HasPrefix(before[0], "-") {
		name, value, hasValue := strings.Cut(strings.TrimLeft(before[0], "-"), "=")
		if name != "workspace" && name != "passphrase-file" {
			break
		}
		if !hasValue && len(before) > 1 {
			value, before = before[1], before[1:]
		}
		if name == "workspace" {
			c.workspacePath = value
		}
		before = before[1:]
	}
	if len(before) > 0 && before[len(before)-1] == "--workspace" {
		return nil // a file: the shell's own completion
	}
	if len(before) == 0 {
		if strings.HasPrefix(cur, "-") {
			return withPrefix([]string{"--workspace", "--passphrase-file", "--help", "--version"}, cur)
		}
		return withPrefix(commandNames(), cur)
	}
	cmd := before[0]
	subs, hasSubs := subcommands[cmd]
	if cmd == "help" {
		subs = commandNames()
	}
	if hasSubs && len(before) == 1 && !strings.HasPrefix(cur, "-") {
		return withPrefix(subs, cur)
	}
	path := []string{cmd}
	if hasSubs && len(before) > 1 {
		path = append(path, before[1])
	}
	if strings.HasPrefix(cur, "-") {
		return withPrefix(c.flagNames(path), cur)
	}
	prev := before[len(before)-1]
	switch strings.TrimLeft(prev, "-") {
	case "identity":
		return withPrefix(c.names(workspace.KindIdentity), cur)
	case "ca", "cacert", "parent":
		return withPrefix(c.names(workspace.KindCA), cur)
	case "profile":
		return withPrefix(c.profileNames(), cur)
	case "env":
		return withPrefix(c.envNames(), cur)
	}
	if strings.HasPrefix(prev, "-") && c.takesValue(path, prev) {
		return nil // a value the shell completes (a file) or the user types
	}
	switch strings.Join(path, " ") {
	case "show", "export", "rm", "rename":
		return withPrefix(c.names(""), cur)
	case "profile show", "profile edit", "profile rm":
		return withPrefix(c.profileNames(), cur)
	case "env use":
		return withPrefix(c.envNames(), cur)
	case "collection export":
		return withPrefix(c.savedNames(), cur)
	}
	return nil
}

func commandNames() []string {
	var names []string
	for _, cmd := range commands {
		if cmd.name != "agent" {
			names = append(names, cmd.name)
		}
	}
	return names
}

func withPrefix(all []string, prefix string) []string {
	var out []string
	for _, s := range all {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// helpFlags reads the flags of a command from its --help, the same text
// the user reads: each flag as spelled, and whether it takes a value.
func (c *cli) helpFlags(path []string) ([]string, map[string]bool) {
	var out bytes.Buffer
	runEnv(context.Background(), append(slices.Clone(path), "--help"), strings.NewReader(""), &out, &bytes.Buffer{}, c.getenv)
	var names []string
	takes := map[string]bool{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "  -") {
			continue
		}
		// "  --follow, -L, --location   usage" or "  --resolve HOST:PORT:ADDR   usage"
		left, _, _ := strings.Cut(strings.TrimSpace(line), "  ")
		spelled := strings.Split(left, ", ")
		last, placeholder, _ := strings.Cut(spelled[len(spelled)-1], " ")
		spelled[len(spelled)-1] = last
		for _, n := range spelled {
			names = append(names, n)
			takes[n] = placeholder != ""
		}
	}
	return names, takes
}

func (c *cli) flagNames(path []string) []string {
	names, _ := c.helpFlags(path)
	return names
}

// takesValue reports whether flag (as typed) waits for a value.
func (c *cli) takesValue(path []string, flag string) bool {
	_, takes := c.helpFlags(path)
	return takes[flag]
}

// fromWorkspace lists names read from the workspace: never an error,
// never a prompt (names are not secret), nothing when there is none.
func (c *cli) fromWorkspace(list func(*workspace.Store) ([]string, error)) []string {
	path, err := c.path()
	if err != nil || !workspace.Exists(path) {
		return nil
	}
	s, err := workspace.Open(path)
	if err != nil {
		return nil
	}
	names, err := list(s)
	if err != nil {
		return nil
	}
	return names
}

// names lists record names of kind ("" for all).
func (c *cli) names(kind workspace.Kind) []string {
	return c.fromWorkspace(func(s *workspace.Store) ([]string, error) {
		entries, err := s.List()
		var names []string
		for _, e := range entries {
			if kind == "" || e.Kind == kind {
				names = append(names, e.Name)
			}
		}
		return names, err
	})
}

func (c *cli) profileNames() []string {
	return c.fromWorkspace(func(s *workspace.Store) ([]string, error) {
		ps, err := s.Profiles()
		var names []string
		for _, p := range ps.Profiles {
			names = append(names, p.Name)
		}
		return names, err
	})
}

func (c *cli) envNames() []string {
	return c.fromWorkspace(func(s *workspace.Store) ([]string, error) {
		ps, err := s.Profiles()
		return ps.Envs(), err
	})
}

func (c *cli) savedNames() []string {
	return c.fromWorkspace(func(s *workspace.Store) ([]string, error) {
		saved, err := s.SavedRequests()
		var names []string
		for _, r := range saved {
			names = append(names, r.Name)
		}
		return names, err
	})
}
