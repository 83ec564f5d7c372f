package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
)

// writeMan prints the man page, mtlswb(1), made of the same help text as
// `mtlswb help` and every `mtlswb COMMAND --help`, so the two cannot
// drift (`make man` writes docs/mtlswb.1; a test compares).
func writeMan(w io.Writer, getenv func(string) string) {
	help := func(args ...string) string {
		var out bytes.Buffer
		runEnv(context.Background(), append(args, "--help"), strings.NewReader(""), &out, io.Discard, getenv)
		return out.String()
	}
	fmt.Fprint(w, `.TH MTLSWB 1 "" "mtlswb" "User Commands"
.SH NAME
mtlswb \- the mTLS workbench: a keystore of client identities and CAs, a traced mTLS client that explains failures, and a terminal UI
.SH SYNOPSIS
.B mtlswb
.br
.B mtlswb
[\-\-workspace PATH] COMMAND [flags] [args]
.SH DESCRIPTION
`)
	fmt.Fprint(w, preformatted(help()))
	fmt.Fprintln(w, ".SH COMMANDS")
	for _, cmd := range commands {
		if cmd.name == "help" || cmd.name == "agent" {
			continue
		}
		paths := [][]string{{cmd.name}}
		if subs := subcommands[cmd.name]; len(subs) > 0 && cmd.name != "completion" {
			paths = nil
			for _, sub := range subs {
				paths = append(paths, []string{cmd.name, sub})
			}
		}
		for _, p := range paths {
			fmt.Fprintf(w, ".SS %s\n", roffEscape(strings.Join(p, " ")))
			fmt.Fprint(w, preformatted(help(p...)))
		}
	}
	fmt.Fprint(w, `.SH SEE ALSO
.BR curl (1),
.BR openssl-s_client (1)
`)
}

// preformatted keeps text as it is printed in a terminal.
func preformatted(text string) string {
	var b strings.Builder
	b.WriteString(".nf\n")
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(roffEscape(line))
		b.WriteByte('\n')
	}
	b.WriteString(".fi\n")
	return b.String()
}

// roffEscape makes a line literal for roff: backslashes doubled, hyphens
// kept as minus signs, and a leading dot or quote kept from being a request.
func roffEscape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
