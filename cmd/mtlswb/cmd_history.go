package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

const historyUsage = `Usage: mtlswb history SUBCOMMAND

List, show and clear past attempts, and set what history keeps.

Subcommands:
  ls [--json] [--limit N]          the attempts, newest first
  show ID [--json] [--unseal]      one attempt in full; --unseal opens sealed credentials (asks for the passphrase)
  clear [--older-than D]           delete attempts (all, or those older than D: 36h, 30d)
  policy [--keep N] [--secret-header NAME]... [--seal-bodies|--no-seal-bodies] [--redact|--no-redact] [--json]
                                   show or change what history keeps and seals
`

func cmdHistory(c *cli, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(c.stdout, historyUsage)
		if len(args) == 0 {
			return usagef("history needs a subcommand: ls, show, clear or policy")
		}
		return errHelpShown
	}
	switch args[0] {
	case "ls", "list":
		return historyList(c, args[1:])
	case "show":
		return historyShow(c, args[1:])
	case "clear":
		return historyClear(c, args[1:])
	case "policy":
		return historyPolicy(c, args[1:])
	}
	return usagef("unknown history subcommand %q: use ls, show, clear or policy", args[0])
}

func historyList(c *cli, args []string) error {
	fs := c.flags()
	asJSON := fs.Bool("json", false, "print one JSON array (sealed values as placeholders)")
	limit := fs.Int("limit", 0, "show the newest `N` only (default all)")
	if _, err := c.parse(fs, args, "ls [--json] [--limit N]"); err != nil {
		return err
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	entries, err := s.History(*limit)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSONArray(c.stdout, entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(c.stdout, "History is empty.")
		return nil
	}
	out := bufio.NewWriter(c.stdout)
	defer out.Flush()
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWHEN\tMETHOD\tURL\tRESULT\tIDENTITY")
	for _, e := range entries {
		result := "ok"
		switch {
		case e.Category != "":
			result = e.Category
		case e.Status != 0:
			result = strconv.Itoa(e.Status)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.At.Local().Format("2006-01-02 15:04:05"),
			cell(e.Method), safetext.Line(e.URL), cell(result), cell(e.Identity))
	}
	return tw.Flush()
}

func historyShow(c *cli, args []string) error {
	fs := c.flags()
	asJSON := fs.Bool("json", false, "print one JSON object")
	unseal := fs.Bool("unseal", false, "open sealed credentials and bodies (needs the workspace passphrase)")
	pos, err := c.parse(fs, args, "show ID [--json] [--unseal]")
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "ID"); err != nil {
		return err
	}
	id, err := strconv.ParseUint(pos[0], 10, 64)
	if err != nil {
		return usagef("history show: %q is not an attempt id; `mtlswb history ls` lists them", pos[0])
	}
	var e *workspace.HistoryEntry
	if *unseal {
		s, keys, err := c.unlocked()
		if err != nil {
			return err
		}
		e, err = s.UnsealedHistoryItem(keys, id)
		if err != nil {
			return err
		}
	} else {
		s, err := c.store()
		if err != nil {
			return err
		}
		if e, err = s.HistoryItem(id); err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(c.stdout, e)
	}
	fmt.Fprintf(c.stdout, "Attempt %d, %s\n  %s %s\n", e.ID, e.At.Local().Format(time.RFC3339), safetext.Line(e.Method), safetext.Line(e.URL))
	for _, part := range []struct {
		name string
		doc  []byte
	}{{"Request", e.Request}, {"Report", e.Report}} {
		var buf bytes.Buffer
		if json.Indent(&buf, part.doc, "  ", "  ") != nil {
			buf.Reset()
			buf.Write(part.doc)
		}
		fmt.Fprintf(c.stdout, "\n%s:\n  %s\n", part.name, safetext.Block(buf.String()))
	}
	return nil
}

func historyClear(c *cli, args []string) error {
	fs := c.flags()
	olderThan := fs.String("older-than", "", "delete only attempts older than `D` (a duration: 36h, 30d)")
	if _, err := c.parse(fs, args, "clear [--older-than D]"); err != nil {
		return err
	}
	var cutoff time.Time
	if *olderThan != "" {
		d, err := parseAge(*olderThan)
		if err != nil {
			return usagef("--older-than: %v", err)
		}
		cutoff = time.Now().Add(-d)
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	n, err := s.ClearHistoryBefore(cutoff)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "deleted %d attempt(s); the pages that held them were overwritten\n", n)
	return nil
}

// parseAge is time.ParseDuration with days ("30d"), as history is kept for
// days, not hours.
func parseAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration: write 36h or 30d", s)
	}
	return d, nil
}

func historyPolicy(c *cli, args []string) error {
	fs := c.flags()
	keep := fs.Int("keep", 0, "keep the newest `N` attempts (default 1000)")
	var secret stringList
	fs.Var(&secret, "secret-header", "also seal header `NAME` (repeatable; Authorization, Proxy-Authorization, Cookie and Set-Cookie always are)")
	sealBodies := fs.Bool("seal-bodies", false, "seal request bodies and response previews")
	noSealBodies := fs.Bool("no-seal-bodies", false, "keep bodies readable")
	redact := fs.Bool("redact", false, "drop secret values instead of sealing them (workspaces without a passphrase only)")
	noRedact := fs.Bool("no-redact", false, "seal secret values again")
	asJSON := fs.Bool("json", false, "print the policy as JSON")
	if _, err := c.parse(fs, args, "policy [--keep N] [--secret-header NAME]... [--seal-bodies|--no-seal-bodies] [--redact|--no-redact] [--json]"); err != nil {
		return err
	}
	if *keep < 0 {
		return usagef("--keep must be a positive number")
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	p, err := s.HistoryPolicy()
	if err != nil {
		return err
	}
	set := setFlags(fs)
	if set["keep"] || set["secret-header"] || set["seal-bodies"] || set["no-seal-bodies"] || set["redact"] || set["no-redact"] {
		if set["keep"] {
			p.Keep = *keep
		}
		if set["secret-header"] {
			p.SecretHeaders = secret
		}
		p.SealBodies = (p.SealBodies || *sealBodies) && !*noSealBodies
		p.Redact = (p.Redact || *redact) && !*noRedact
		if err := s.SetHistoryPolicy(p); err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(c.stdout, p)
	}
	keepN := p.Keep
	if keepN == 0 {
		keepN = workspace.DefaultHistoryKeep
	}
	fmt.Fprintf(c.stdout, "keep          the newest %d attempts\n", keepN)
	fmt.Fprintf(c.stdout, "sealed        Authorization, Proxy-Authorization, Cookie, Set-Cookie%s\n", strings.Join(append([]string{""}, safetext.Lines(p.SecretHeaders)...), ", "))
	fmt.Fprintf(c.stdout, "bodies        %s\n", map[bool]string{true: "sealed", false: "kept readable"}[p.SealBodies])
	if p.Redact {
		if s.Encrypted() {
			fmt.Fprintln(c.stdout, "redact        set, but this workspace has a passphrase: secrets are sealed, not dropped")
		} else {
			fmt.Fprintln(c.stdout, "redact        secret values are dropped (this workspace has no passphrase to seal them with)")
		}
	}
	return nil
}
