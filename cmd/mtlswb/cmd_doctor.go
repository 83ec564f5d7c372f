package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

// doctorResult is `doctor --json`.
type doctorResult struct {
	workspace.Diagnosis
	Notes  []string                `json:"notes,omitempty"`
	Repair *workspace.RepairResult `json:"repair,omitempty"`
}

func cmdDoctor(c *cli, args []string) error {
	fs := c.flags()
	repair := fs.Bool("repair", false, "write a new workspace with every readable record; the damaged file is kept beside it")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if _, err := c.parse(fs, args, "[--repair] [--json]"); err != nil {
		return err
	}
	path, err := c.path()
	if err != nil {
		return err
	}
	d, err := workspace.Examine(path)
	if errors.Is(err, workspace.ErrNoWorkspace) {
		return badInput(fmt.Errorf("no workspace at %s: nothing to examine; run `mtlswb init` to create one, or pass --workspace PATH", path))
	}
	if err != nil {
		return err
	}
	res := doctorResult{}
	if d.Salvaged() && d.Encrypted && d.Meta == "" {
		res.Notes = append(res.Notes, c.doctorKeys(d))
	}
	res.Diagnosis = d.Diagnosis
	if *repair && !d.Healthy() {
		if res.Repair, err = d.Repair(); err != nil {
			return err
		}
	}
	if *asJSON {
		if err := writeJSON(c.stdout, res); err != nil {
			return err
		}
	} else {
		printDiagnosis(c.stdout, res, *repair)
	}
	if !d.Healthy() && res.Repair == nil {
		return &quietError{exitFailed}
	}
	return nil
}

// doctorKeys checks the private keys when a passphrase is at hand, and says
// what was done. A doctor must work on a damaged file, so a missing or
// failing passphrase is a note, not an error.
func (c *cli) doctorKeys(d *workspace.Doctor) string {
	pass, err := c.secret(secretSource{
		what: "workspace passphrase", env: "MTLSWB_PASSPHRASE", file: c.passphraseFile, fileFlag: "--passphrase-file",
	})
	if err != nil {
		return "private keys not checked: " + err.Error()
	}
	if err := d.CheckKeys(pass); err != nil {
		if errors.Is(err, workspace.ErrWrongPassphrase) {
			return "private keys not checked: the passphrase does not open the master key (it is wrong, or the master key record is damaged)"
		}
		return "private keys not checked: " + err.Error()
	}
	return "every private key was decrypted with the passphrase"
}

func printDiagnosis(w io.Writer, r doctorResult, repairAsked bool) {
	d := r.Diagnosis
	fmt.Fprintf(w, "Workspace %s\n", d.Path)
	if d.Damage != "" {
		fmt.Fprintf(w, "  file         DAMAGED: %s\n", d.Damage)
	} else {
		fmt.Fprintln(w, "  file         sound (header pages, size and page structure)")
	}
	switch {
	case d.Damage != "":
		fmt.Fprintln(w, "  bbolt check  not run: the page structure is damaged")
	case len(d.Consistency) == 0:
		fmt.Fprintln(w, "  bbolt check  ok")
	default:
		fmt.Fprintf(w, "  bbolt check  %d problem(s): %s\n", len(d.Consistency), strings.Join(firstN(d.Consistency, 3), "; "))
	}
	for _, p := range firstN(d.Structure, 5) {
		fmt.Fprintf(w, "  pages        %s\n", p)
	}
	if d.Meta != "" {
		fmt.Fprintf(w, "  master key   LOST: %s\n", d.Meta)
	}
	ok := 0
	for _, rec := range d.Records {
		if rec.Problem == "" {
			ok++
		}
	}
	fmt.Fprintf(w, "  records      %d readable, %d unreadable\n", ok, len(d.Records)-ok)
	for _, rec := range d.Records {
		if rec.Problem != "" {
			fmt.Fprintf(w, "    lost       %s: %s\n", rec.Name, rec.Problem)
		}
	}
	for _, name := range []string{"history", "requests", "profiles"} {
		if t, ok := d.Other[name]; ok {
			fmt.Fprintf(w, "  %-12s %d readable, %d unreadable\n", name, t.Readable, t.Unreadable)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  keys         %s\n", safetext.Line(n))
	}
	for _, p := range d.Removed {
		fmt.Fprintf(w, "removed a stale temporary copy: %s\n", safetext.Line(p))
	}
	for _, warn := range d.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	switch {
	case r.Repair != nil:
		fmt.Fprintf(w, "\nrepaired: a new workspace with %d record(s) is at %s; the damaged file is kept at %s\n",
			len(r.Repair.Kept), r.Repair.Path, r.Repair.Damaged)
		for _, l := range r.Repair.Lost {
			fmt.Fprintf(w, "lost: %s\n", l)
		}
		if r.Repair.LostRows > 0 {
			fmt.Fprintf(w, "lost: %d unreadable history, request or profile entries\n", r.Repair.LostRows)
		}
	case d.Healthy():
		fmt.Fprintln(w, "\nThe workspace is healthy.")
	case !repairAsked:
		fmt.Fprintln(w, "\nThe workspace is damaged: run `mtlswb doctor --repair` to write a new one with every readable record (the damaged file is kept beside it).")
	}
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}

func cmdBackup(c *cli, args []string) error {
	flags := c.flags()
	force := flags.Bool("force", false, "replace an existing FILE (a symlink there is replaced, not followed)")
	pos, err := c.parse(flags, args, "FILE [--force]")
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "FILE"); err != nil {
		return err
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	if err := s.Backup(pos[0], *force); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return badInput(fmt.Errorf("%s already exists: choose another file, or pass --force to replace it", pos[0]))
		}
		return err
	}
	fmt.Fprintf(c.stdout, "backed up %s to %s (mode 0600)\n", s.Path(), pos[0])
	return nil
}
