package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/mtlswb/mtlswb/internal/harden"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/tui"
	"github.com/mtlswb/mtlswb/workspace/demo"
)

func main() {
	harden.NoCoreDumps()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "mtlswb: error: %s\n", safetext.Line(err.Error()))
		os.Exit(exitCode(err))
	}
}

// errUsage marks a call mtlswb never makes: exit 2, as mtlswb's usage errors.
var errUsage = errors.New("usage: mtlswb-tui --workspace FILE | mtlswb-tui demo [--keep DIR]; run `mtlswb` instead, which starts it")

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "demo" {
		return runDemo(ctx, args[1:], stderr)
	}
	fs := flag.NewFlagSet("mtlswb-tui", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := fs.String("workspace", "", "the workspace `file`")
	if err := fs.Parse(args); err != nil || *path == "" || fs.NArg() > 0 {
		return errUsage
	}
	return tui.Run(ctx, tui.Options{WorkspacePath: *path, StartDemo: startDemo, DemoGuide: demo.Guide})
}

// runDemo is `mtlswb demo` without --check: the demo's servers run in this
// process for as long as the TUI is open.
func runDemo(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("mtlswb-tui demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	keep := fs.String("keep", "", "build the demo workspace in `DIR` and keep it after exit")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	d, err := demo.Start(*keep)
	if err != nil {
		return fmt.Errorf("start the demo: %w", err)
	}
	defer d.Close()
	err = tui.Run(ctx, tui.Options{WorkspacePath: d.Path, Guide: demo.Guide})
	if *keep != "" {
		fmt.Fprintf(stderr, "the demo workspace is kept at %s (its servers have stopped)\n", d.Path)
	}
	return err
}

// startDemo is the TUI's first-run "open the demo" choice.
func startDemo() (string, func(), error) {
	d, err := demo.Start("")
	if err != nil {
		return "", nil, err
	}
	return d.Path, func() { d.Close() }, nil
}
