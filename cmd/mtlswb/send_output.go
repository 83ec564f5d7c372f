package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// sendOptions is what send's flags add beyond the plan: where the body and
// the report go, and how much of the body is read.
//
//	(default)       the report on stdout
//	-o FILE         the whole body in FILE, the report on stdout
//	-o - / -s / -i  the body on stdout, the verdict on stderr if it failed
//	-v              the body on stdout, the whole report on stderr
type sendOptions struct {
	asJSON                   bool
	output                   string // "", "-" or a file
	include, silent, verbose bool
	maxResponse              int64 // --max-response: body bytes read without -o
}

func (o sendOptions) bodyToStdout() bool {
	return o.output == "-" || (o.output == "" && (o.include || o.silent || o.verbose))
}

func (o sendOptions) wantsBody() bool { return o.output != "" || o.bodyToStdout() }

// bodyFile collects the body while the request runs: the headers that -i
// puts first are known only at the end, and a file given with -o must not
// be replaced by a request that got no answer.
type bodyFile struct {
	f *os.File
}

func (o sendOptions) openBody() (*bodyFile, error) {
	if !o.wantsBody() {
		return nil, nil
	}
	dir := ""
	if !o.bodyToStdout() {
		dir = filepath.Dir(o.output) // the same file system, for the rename
	}
	f, err := os.CreateTemp(dir, ".mtlswb-body-*")
	if err != nil {
		return nil, badInput(fmt.Errorf("--output %s: %w", o.output, err))
	}
	return &bodyFile{f: f}, nil
}

func (b *bodyFile) writer() io.Writer {
	if b == nil {
		return nil
	}
	return b.f
}

func (b *bodyFile) discard() {
	if b != nil {
		b.f.Close()
		os.Remove(b.f.Name())
	}
}

// deliver puts the body (and with -i the status line and headers) where
// the flags said, once the answer is in.
func (c *cli) deliver(b *bodyFile, rep tlsengine.Report, o sendOptions) error {
	if b == nil {
		return nil
	}
	defer b.discard()
	if rep.HTTP == nil {
		return nil // no answer: an -o file stays as it was
	}
	if _, err := b.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if o.bodyToStdout() {
		return c.bodyToStdout(b.f, rep.HTTP, o.include)
	}
	out, err := os.Create(o.output)
	if err != nil {
		return badInput(fmt.Errorf("--output %s: %w", o.output, err))
	}
	if o.include {
		io.WriteString(out, headBlock(rep.HTTP))
	}
	_, err = io.Copy(out, b.f)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--output %s: %w", o.output, err)
	}
	if !o.silent && !o.verbose {
		fmt.Fprintf(c.stderr, "wrote the %d-byte body to %s\n", rep.HTTP.BodyBytes, o.output)
	}
	return nil
}

// bodyToStdout copies the body as it came to a file or a pipe. A terminal
// gets it sanitized like all server text, and a binary body not at all.
func (c *cli) bodyToStdout(body io.Reader, h *tlsengine.HTTPInfo, include bool) error {
	f, isFile := c.stdout.(*os.File)
	terminal := isFile && isTerminal(f)
	if include {
		head := headBlock(h)
		if terminal {
			head = safetext.Block(head)
		}
		io.WriteString(c.stdout, head)
	}
	if !terminal {
		_, err := io.Copy(c.stdout, body)
		return err
	}
	if h.BodyBinary {
		fmt.Fprintf(c.stderr, "the %d-byte body is binary and standard output is a terminal: use -o FILE\n", h.BodyBytes)
		return nil
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	_, err = io.WriteString(c.stdout, safetext.Block(string(data)))
	return err
}

// headBlock is the status line and headers as curl -i prints them.
func headBlock(h *tlsengine.HTTPInfo) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %d\r\n", h.Proto, h.Status)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range h.Headers {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range h.Headers[name] {
			fmt.Fprintf(&sb, "%s: %s\r\n", name, v)
		}
	}
	sb.WriteString("\r\n")
	return sb.String()
}

// report prints rep where o says: the whole report, or, when the body has
// standard output, only a failure's verdict on standard error.
func (c *cli) report(rep tlsengine.Report, o sendOptions) error {
	switch {
	case o.verbose:
		return c.printReportTo(c.stderr, rep, o.asJSON)
	case o.silent || o.bodyToStdout():
		if o.asJSON {
			return c.printReportTo(c.stderr, rep, true)
		}
		if f := rep.Failure; f != nil {
			fmt.Fprintf(c.stderr, "mtlswb: failed: %s (%s phase): %s\n", f.Category, f.Phase, safetext.Line(f.Summary))
			for _, h := range f.Hints {
				fmt.Fprintf(c.stderr, "mtlswb: hint: %s\n", safetext.Line(h))
			}
		}
		return nil
	}
	return c.printReportTo(c.stdout, rep, o.asJSON)
}
