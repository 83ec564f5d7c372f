package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/mtlswb/mtlswb/tlsengine/certfile"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

// cli is what every command shares: streams, environment, global flags and
// the workspace keys once unlocked (a command unlocks at most once).
type cli struct {
	ctx            context.Context
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	workspacePath  string
	passphraseFile string
	command        *command
	keys           *workspace.Keys
	modesWarned    bool // the permission warnings are printed once
}

func newCLI(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) *cli {
	return &cli{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
}

// parseGlobal takes the global flags that stand before the command name.
func (c *cli) parseGlobal(args []string) ([]string, error) {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		var target *string
		switch name {
		case "workspace":
			target = &c.workspacePath
		case "passphrase-file":
			target = &c.passphraseFile
		default:
			return args, nil // -h, --version and unknown flags are the command's business
		}
		if !hasValue {
			if len(args) < 2 {
				return nil, usagef("flag --%s needs a value", name)
			}
			value, args = args[1], args[1:]
		}
		*target = value
		args = args[1:]
	}
	return args, nil
}

// flags makes a command's flag set with the global flags on it too, so
// `mtlswb ls --workspace W` works as well as `mtlswb --workspace W ls`.
func (c *cli) flags() *flag.FlagSet {
	name := "mtlswb"
	if c.command != nil {
		name += " " + c.command.name
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.workspacePath, "workspace", c.workspacePath, "workspace `file`")
	fs.StringVar(&c.passphraseFile, "passphrase-file", c.passphraseFile, "read the workspace passphrase from `file`")
	return fs
}

// errHelpShown ends a command that printed its help on request (exit 0).
var errHelpShown = errors.New("help shown")

// parse parses flags and positional arguments in any order: the standard
// flag package stops at the first positional, and our commands read
// `show joe --json`. A "--" ends the flags.
func (c *cli) parse(fs *flag.FlagSet, args []string, synopsis string) ([]string, error) {
	var positional []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.printUsage(fs, synopsis)
			return nil, errHelpShown
		}
		if err != nil {
			return nil, usagef("%v; run `%s --help` for the flags", err, fs.Name())
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func (c *cli) printUsage(fs *flag.FlagSet, synopsis string) {
	writeUsage(c.stdout, fs, synopsis, c.command)
}

// wantArgs checks the count of positional arguments.
func wantArgs(args []string, n int, synopsis string) error {
	if len(args) != n {
		return usagef("expected %s, got %d argument(s)", synopsis, len(args))
	}
	return nil
}

// parseName parses a command that takes exactly one positional NAME.
func (c *cli) parseName(fs *flag.FlagSet, args []string, synopsis string) (string, error) {
	pos, err := c.parse(fs, args, synopsis)
	if err != nil {
		return "", err
	}
	if err := wantArgs(pos, 1, "NAME"); err != nil {
		return "", err
	}
	return pos[0], nil
}

// record opens the workspace and reads one record.
func (c *cli) record(name string) (*workspace.Store, *workspace.Record, error) {
	s, err := c.store()
	if err != nil {
		return nil, nil, err
	}
	rec, err := s.Get(name)
	if err != nil {
		return nil, nil, err
	}
	return s, rec, nil
}

// unlocked opens the workspace and unlocks its keys.
func (c *cli) unlocked() (*workspace.Store, *workspace.Keys, error) {
	s, err := c.store()
	if err != nil {
		return nil, nil, err
	}
	keys, err := c.unlock(s)
	if err != nil {
		return nil, nil, err
	}
	return s, keys, nil
}

// path returns the workspace file: --workspace, else $MTLSWB_WORKSPACE, else
// the default location.
func (c *cli) path() (string, error) {
	if c.workspacePath != "" {
		return c.workspacePath, nil
	}
	if p := c.getenv("MTLSWB_WORKSPACE"); p != "" {
		return p, nil
	}
	return workspace.DefaultPath()
}

// store opens the workspace, with a message that says how to make one when
// there is none.
func (c *cli) store() (*workspace.Store, error) {
	path, err := c.path()
	if err != nil {
		return nil, err
	}
	if err := checkWorkspacePath(path, false); err != nil {
		return nil, err
	}
	s, err := workspace.Open(path)
	if errors.Is(err, workspace.ErrNoWorkspace) {
		return nil, badInput(fmt.Errorf("no workspace at %s: run `mtlswb init` to create one, or pass --workspace PATH", path))
	}
	if err != nil {
		return nil, err
	}
	if !c.modesWarned {
		c.modesWarned = true
		for _, w := range workspace.PermissionWarnings(path) {
			fmt.Fprintf(c.stderr, "warning: %s\n", safetext.Line(w))
		}
	}
	return s, nil
}

// importPassphrase is the certfile.PassphraseFunc of import: one answer per
// file, asked only when a file turns out to be encrypted.
func (c *cli) importPassphrase(passFile string) certfile.PassphraseFunc {
	return func(file string) ([]byte, error) {
		return c.secret(secretSource{
			what: "passphrase of " + safetext.Line(file), env: "MTLSWB_IMPORT_PASSPHRASE", file: passFile, fileFlag: "--pass-file",
		})
	}
}

// colour reports whether w is a terminal that may get colour.
func (c *cli) colour(w io.Writer) bool {
	if c.getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// writeJSON prints v as one JSON document: indented for a person at a
// terminal, compact for a program (indenting 10,000 `ls` entries costs more
// than reading them from the workspace).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}

// writeJSONArray is writeJSON for long arrays: off a terminal it encodes
// one element at a time through a buffer, so 10,000 entries never sit in one
// growing encoder buffer.
func writeJSONArray[T any](w io.Writer, items []T) error {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return writeJSON(w, items)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	bw.WriteByte('[')
	for i := range items {
		if i > 0 {
			bw.WriteByte(',')
		}
		if err := enc.Encode(&items[i]); err != nil {
			return err
		}
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// usageError is a mistake in how a command was called (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// badInputError marks an error caused by what the user gave (a file, a
// passphrase, a name): exit 2, and the workspace is unchanged.
type badInputError struct{ err error }

func (e *badInputError) Error() string { return e.err.Error() }
func (e *badInputError) Unwrap() error { return e.err }

func badInput(err error) error {
	if err == nil {
		return nil
	}
	return &badInputError{err}
}

// quietError carries an exit code for a command that already said everything
// (send prints its own diagnosed report and exits 1).
type quietError struct{ code int }

func (e *quietError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// hintError adds what-to-do lines to an error.
type hintError struct {
	err   error
	hints []string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var usage *usageError
	var bad *badInputError
	var taken *workspace.NameTakenError
	var dup *workspace.DuplicateError
	var inUse *workspace.InUseError
	var profileUse *workspace.ProfileUseError
	var format *certfile.FormatError
	var unmatched *certfile.UnmatchedKeyError
	switch {
	case errors.As(err, &usage), errors.As(err, &bad),
		errors.As(err, &taken), errors.As(err, &dup), errors.As(err, &inUse), errors.As(err, &profileUse),
		errors.As(err, &format), errors.As(err, &unmatched),
		errors.Is(err, workspace.ErrWrongPassphrase), errors.Is(err, workspace.ErrNotFound), errors.Is(err, workspace.ErrNoKey),
		errors.Is(err, certfile.ErrWrongPassphrase), errors.Is(err, certfile.ErrEncrypted),
		errors.Is(err, certfile.ErrTooLarge):
		return exitUsage
	}
	return exitFailed
}

// printError writes "mtlswb: error: ..." and any hints. The text may quote
// certificates or files, so it is sanitized like all untrusted text.
func printError(w io.Writer, err error) {
	fmt.Fprintf(w, "mtlswb: error: %s\n", safetext.Line(err.Error()))
	var h *hintError
	if errors.As(err, &h) {
		for _, hint := range h.hints {
			fmt.Fprintf(w, "mtlswb: hint: %s\n", safetext.Line(hint))
		}
	} else if errors.Is(err, workspace.ErrWrongPassphrase) {
		fmt.Fprintln(w, "mtlswb: hint: check MTLSWB_PASSPHRASE or the --passphrase-file; nothing was changed")
	}
}
