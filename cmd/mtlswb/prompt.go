package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"golang.org/x/term"
)

// A passphrase prompt reads the terminal itself, in raw mode, instead of
// term.ReadPassword: that one leaves Ctrl-C to a SIGINT the program catches
// for its context, so the read went on and the passphrase typed next ran
// the command the user meant to cancel. Here Ctrl-C and Ctrl-D are bytes the
// prompt sees, and a signal that arrives anyway (kill -INT) cancels through
// the context; either way the terminal is restored first.

// errCancelled ends a command whose prompt was cancelled: it prints only
// "cancelled" and exits 130, like a shell's Ctrl-C, having changed nothing.
var errCancelled = errors.New("cancelled")

// exitCancelled is 128+SIGINT, what a shell reports for a Ctrl-C.
const exitCancelled = 130

// maxSecret bounds what a prompt keeps: a passphrase, not a pasted file.
const maxSecret = 4096

// readSecretLine reads one line from raw terminal input: Enter ends it,
// Ctrl-C and Ctrl-D cancel, Backspace deletes a character, Ctrl-U and Ctrl-W
// clear the line. Other control bytes are ignored, so an arrow key's escape
// sequence adds its printable tail only.
func readSecretLine(r io.Reader) ([]byte, error) {
	var line []byte
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n == 0 {
			clear(line)
			if err == nil || err == io.EOF {
				return nil, errCancelled // the terminal went away: nothing was confirmed
			}
			return nil, err
		}
		switch c := b[0]; {
		case c == '\r' || c == '\n':
			return line, nil
		case c == 0x03 || c == 0x04: // Ctrl-C, Ctrl-D
			clear(line)
			return nil, errCancelled
		case c == 0x7f || c == 0x08: // Backspace, Ctrl-H
			if len(line) > 0 {
				_, size := utf8.DecodeLastRune(line)
				clear(line[len(line)-size:])
				line = line[:len(line)-size]
			}
		case c == 0x15 || c == 0x17: // Ctrl-U, Ctrl-W
			clear(line)
			line = line[:0]
		case c < 0x20 || c == 0x1b:
		case len(line) < maxSecret:
			line = append(line, c)
		}
	}
}

// promptSecret asks for a secret ("Enter workspace passphrase: ") on the terminal that is standard input,
// without echo. It refuses at once, with ways that need no terminal, when
// there is none or when the command runs in the background (reading would
// stop the process until it is brought to the foreground).
func (c *cli) promptSecret(prompt, label, ways string) ([]byte, error) {
	f, ok := c.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, badInput(fmt.Errorf("the %s is needed and there is no terminal to ask on: %s", label, ways))
	}
	if !foreground(int(f.Fd())) {
		return nil, badInput(fmt.Errorf("the %s is needed and this command runs in the background, where it cannot ask: %s", label, ways))
	}
	fmt.Fprintf(c.stderr, "%s %s: ", prompt, label)
	state, err := term.MakeRaw(int(f.Fd()))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", label, err)
	}
	type answer struct {
		line []byte
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		line, err := readSecretLine(f)
		got <- answer{line, err}
	}()
	var a answer
	select {
	case a = <-got:
	case <-c.ctx.Done():
		// A signal: the reader stays blocked on the terminal, and the
		// process is about to exit.
		a.err = errCancelled
	}
	// Restore before printing anything: raw mode has no newline translation.
	_ = term.Restore(int(f.Fd()), state)
	fmt.Fprintln(c.stderr)
	if a.err != nil {
		return nil, a.err
	}
	return a.line, nil
}
