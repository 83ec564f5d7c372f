package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

func main() {
	noCoreDumps()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go obeySignals(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes, the same for every command.
const (
	exitOK     = 0
	exitFailed = 1 // the operation failed (diagnosed where possible)
	exitUsage  = 2 // usage error or bad input; nothing was changed
	// exitUnjudged (3, send_diag.go): a probe's handshake completed, but
	// the server has not judged the client certificate at the TLS layer.
)

// command is one subcommand. run returns an error; its exit code comes from
// exitCode, so every command classifies errors the same way.
type command struct {
	name    string
	summary string
	run     func(c *cli, args []string) error
}

var commands []*command

func init() {
	commands = []*command{
		{"init", "create a workspace (asks for a passphrase twice)", cmdInit},
		{"ls", "list identities and CAs", cmdList},
		{"show", "show an identity or CA in full", cmdShow},
		{"import", "import certificates and keys in any common format", cmdImport},
		{"export", "export an identity or CA", cmdExport},
		{"rm", "remove an identity or CA", cmdRemove},
		{"rename", "rename an identity or CA", cmdRename},
		{"chain", "add a workspace CA to the chain an identity sends (chain add IDENTITY CA)", cmdChain},
		{"passwd", "change the workspace passphrase", cmdPasswd},
		{"unlock", "keep the workspace unlocked for a while: one passphrase for many commands", cmdUnlock},
		{"lock", "forget the unlocked workspace key at once", cmdLock},
		{"agent", "the key agent `unlock` starts (not run by hand)", cmdAgent},
		{"doctor", "check a workspace file and recover what a damaged one holds", cmdDoctor},
		{"backup", "write a consistent copy of the workspace to a file", cmdBackup},
		{"history", "list, show and clear past attempts; set what history keeps", cmdHistory},
		{"pki", "make a dev PKI: CAs and leaf certificates", cmdPKI},
		{"send", "send a request over mTLS and explain the result", cmdSend},
		{"probe", "handshake only: a readable openssl s_client", cmdProbe},
		{"serve", "run a local mTLS echo server", cmdServe},
		{"token", "check that an access token is bound to a certificate (RFC 8705)", cmdToken},
		{"profile", "bind identities, trust and TLS options to host patterns", cmdProfile},
		{"env", "choose the active environment of profiles", cmdEnv},
		{"which", "show which profile and identity a URL uses, and why", cmdWhich},
		{"collection", "share saved requests and their profiles without secrets", cmdCollection},
		{"demo", "a demo workspace and local servers showing every failure", cmdDemo},
		{"tui", "open the terminal UI (the default with no command)", cmdTUI},
		{"completion", "print shell completion for bash, zsh or fish", cmdCompletion},
		{"help", "show help for a command", cmdHelp},
	}
}

// longRunning names the commands that run until stopped; they keep Go's
// default GC pacing.
var longRunning = map[string]bool{"serve": true, "demo": true, "tui": true}

func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runEnv(ctx, args, stdin, stdout, stderr, os.Getenv)
}

// runEnv is run with the environment as a function, so tests can run
// commands side by side with their own environments.
func runEnv(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	c := newCLI(ctx, stdin, stdout, stderr)
	c.getenv = getenv
	rest, err := c.parseGlobal(args)
	if err != nil {
		return c.fail(err)
	}
	if len(rest) == 0 {
		return c.fail(cmdTUI(c, nil))
	}
	name, rest := rest[0], rest[1:]
	switch name {
	case "-h", "--help":
		name = "help"
	case "version", "--version", "-V":
		fmt.Fprintln(stdout, versionLine())
		return exitOK
	}
	cmd := findCommand(name)
	if cmd == nil {
		return c.fail(usagef("unknown command %q%s; run `mtlswb help` for the list", name, suggest(name)))
	}
	c.command = cmd
	if !longRunning[cmd.name] {
		// A one-shot command allocates a few MiB and exits: collecting
		// garbage on the default schedule costs `ls --json` on 10,000
		// identities a third of its time. Servers and the TUI keep the default.
		debug.SetGCPercent(400)
	}
	return c.fail(cmd.run(c, rest))
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func suggest(name string) string {
	for _, c := range commands {
		if strings.HasPrefix(c.name, name) || strings.HasPrefix(name, c.name) {
			return fmt.Sprintf(" (did you mean %q?)", c.name)
		}
	}
	return ""
}

func cmdHelp(c *cli, args []string) error {
	if len(args) == 1 && args[0] == "--man" {
		writeMan(c.stdout, c.getenv)
		return nil
	}
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" {
		cmd := findCommand(args[0])
		if cmd == nil {
			return usagef("unknown command %q; run `mtlswb help` for the list", args[0])
		}
		// Each command prints its own flags on --help, under its own name.
		c.command = cmd
		return cmd.run(c, append(args[1:], "--help"))
	}
	fmt.Fprint(c.stdout, `mtlswb — the mTLS workbench

Usage:
  mtlswb                          open the terminal UI
  mtlswb [--workspace PATH] COMMAND [flags] [args]

Commands:
`)
	for _, cmd := range commands {
		fmt.Fprintf(c.stdout, "  %-10s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprint(c.stdout, `
Global flags (before or after the command):
  --workspace PATH         the workspace file (default $MTLSWB_WORKSPACE, else
                           $XDG_DATA_HOME/mtlswb/workspace.db)
  --passphrase-file FILE   read the workspace passphrase from FILE

The workspace passphrase comes from the key agent (after `+"`mtlswb unlock`"+`), else
MTLSWB_PASSPHRASE, else --passphrase-file, else a prompt (Ctrl-C cancels).

Environment:
  MTLSWB_WORKSPACE           workspace file
  MTLSWB_PASSPHRASE          workspace passphrase
  MTLSWB_IMPORT_PASSPHRASE   passphrase of files being imported
  MTLSWB_EXPORT_PASSPHRASE   passphrase for exported keys
  MTLSWB_NEW_PASSPHRASE      new passphrase for passwd
  NO_COLOR                   no colour in any output

Exit codes: 0 success, 1 the operation failed, 2 usage error or bad input,
3 (probe) the handshake completed but the server has not judged the client
certificate at the TLS layer: use send to see its verdict, 130 a prompt was
cancelled.
Run 'mtlswb help COMMAND' (or 'mtlswb COMMAND --help') for a command's flags,
'mtlswb --version' for the version.
`)
	return nil
}

// fail prints err the way every command does and returns its exit code.
func (c *cli) fail(err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errHelpShown) {
		return exitOK
	}
	if errors.Is(err, errCancelled) {
		fmt.Fprintln(c.stderr, "cancelled")
		return exitCancelled
	}
	var quiet *quietError
	if errors.As(err, &quiet) {
		return quiet.code
	}
	printError(c.stderr, err)
	return exitCode(err)
}
