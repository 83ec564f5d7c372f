package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Help text is written from the flag sets themselves, so `--help`, `mtlswb
// help CMD`, shell completion and the man page cannot disagree: flags as
// --name PLACEHOLDER (one letter: -k), aliases on their canonical flag's
// line, grouped by what they are about, defaults only where one means
// something to the user.

// flagGroups orders the groups and names their members; a flag in none is
// in "Flags".
var flagGroups = []struct {
	title string
	names []string
}{
	{"Request", []string{"X", "H", "d", "data-raw", "user", "user-agent", "head", "follow", "proxy", "timeout", "max-time"}},
	{"TLS", []string{"identity", "cert", "key", "pass-file", "pass", "cert-type", "key-type", "ca", "capath", "system-roots", "insecure",
		"servername", "tls-min", "tls-max", "tlsv1.2", "tlsv1.3", "resolve", "connect-to", "profile", "no-profile"}},
	{"Output", []string{"json", "output", "include", "silent", "show-error", "verbose", "fail"}},
	{"Flags", nil},
	{"Workspace", []string{"workspace", "passphrase-file"}},
}

// placeholders name the value of flags whose usage has no `NAME` in it.
var placeholders = map[string]string{
	"cn": "CN", "dns": "HOST", "ip": "IP", "uri": "URI", "email": "EMAIL", "days": "N", "path-len": "N",
	"not-before": "TIME", "not-after": "TIME", "H": "'NAME: VALUE'", "name": "NAME", "client-auth": "MODE",
	"allow-cn": "CN", "servername": "NAME", "ca": "NAME|FILE",
}

// flagHelp is one flag line: the canonical flag and its aliases.
type flagHelp struct {
	names       []string // canonical first
	placeholder string
	usage       string
}

// helpFlags lists fs's flags for help, aliases folded into their flag.
func helpFlags(fs *flag.FlagSet) []*flagHelp {
	byName := map[string]*flagHelp{}
	var order []*flagHelp
	var aliases [][2]string
	fs.VisitAll(func(f *flag.Flag) {
		if target, ok := strings.CutPrefix(f.Usage, "alias of "); ok {
			target, _, _ = strings.Cut(target, ",")
			aliases = append(aliases, [2]string{strings.TrimLeft(target, "-"), f.Name})
			return
		}
		ph, usage := flag.UnquoteUsage(f)
		if isBool(f) {
			ph = ""
		} else if p, ok := placeholders[f.Name]; ok {
			ph = p
		} else {
			ph = strings.ToUpper(map[string]string{"string": "value", "value": "value", "float": "number"}[ph] + ph)
			if strings.Contains(f.Usage, "`") {
				ph, _ = flag.UnquoteUsage(f)
				ph = strings.ToUpper(ph)
			} else if strings.HasPrefix(ph, "VALUE") || strings.HasPrefix(ph, "NUMBER") {
				ph = strings.TrimPrefix(strings.TrimPrefix(ph, "VALUE"), "NUMBER")
				ph = map[string]string{"STRING": "VALUE", "VALUE": "VALUE", "FLOAT": "NUMBER"}[ph]
			}
		}
		if d := f.DefValue; d != "" && d != "0" && d != "false" && !strings.HasPrefix(d, "-") && !strings.Contains(usage, "default") {
			usage += " (default " + d + ")"
		}
		h := &flagHelp{names: []string{f.Name}, placeholder: ph, usage: usage}
		byName[f.Name] = h
		order = append(order, h)
	})
	for _, a := range aliases {
		if h := byName[a[0]]; h != nil {
			h.names = append(h.names, a[1])
		}
	}
	return order
}

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// writeFlags prints fs's flags in their groups.
func writeFlags(w io.Writer, fs *flag.FlagSet) {
	flags := helpFlags(fs)
	// Only send and probe have enough flags to need the request, TLS and
	// output groups; every command has the workspace's.
	all := fs.Lookup("servername") != nil && fs.Lookup("identity") != nil
	grouped := map[string][]*flagHelp{}
	for _, h := range flags {
		group := "Flags"
		for _, g := range flagGroups {
			if slices.Contains(g.names, h.names[0]) && (all || g.title == "Workspace") {
				group = g.title
			}
		}
		grouped[group] = append(grouped[group], h)
	}
	for _, g := range flagGroups {
		hs := grouped[g.title]
		if len(hs) == 0 {
			continue
		}
		title := g.title + " flags"
		if g.title == "Flags" {
			title = "Flags"
		}
		fmt.Fprintf(w, "\n%s:\n", title)
		for _, h := range hs {
			var spelled []string
			for _, n := range h.names {
				spelled = append(spelled, dashed(n))
			}
			left := strings.Join(spelled, ", ")
			if h.placeholder != "" {
				left += " " + h.placeholder
			}
			if len(left) <= 26 {
				fmt.Fprintf(w, "  %-26s %s\n", left, h.usage)
			} else {
				fmt.Fprintf(w, "  %s\n  %-26s %s\n", left, "", h.usage)
			}
		}
	}
}

// writeUsage is a command's --help.
func writeUsage(w io.Writer, fs *flag.FlagSet, synopsis string, cmd *command) {
	fmt.Fprintf(w, "Usage: %s %s\n", fs.Name(), synopsis)
	if cmd != nil {
		fmt.Fprintf(w, "\n%s.\n", strings.ToUpper(cmd.summary[:1])+cmd.summary[1:])
	}
	writeFlags(w, fs)
}
