package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mtlswb/mtlswb/keyagent"
	"github.com/mtlswb/mtlswb/workspace"
)

// `mtlswb unlock` hands the workspace's master key to a per-user agent
// process (package keyagent); every later command asks the agent before it
// asks for the passphrase. `lock` makes the agent forget it.

func (c *cli) agent() keyagent.Client {
	return keyagent.Client{Dir: keyagent.Dir(c.getenv)}
}

// agentKeys returns the workspace's keys from the agent, or nil when it
// does not hold them. An agent that cannot be trusted is not used, with a
// warning; an agent that is simply not there is the common case.
func (c *cli) agentKeys(s *workspace.Store) *workspace.Keys {
	keys, err := keysFromAgent(c.agent(), s)
	if err != nil && !errors.Is(err, keyagent.ErrNoAgent) && !errors.Is(err, keyagent.ErrNotHeld) {
		fmt.Fprintf(c.stderr, "warning: the key agent was not used: %s\n", err)
	}
	return keys
}

// agentKeysQuiet is agentKeys for the TUI, whose screen is not stderr.
func (c *cli) agentKeysQuiet(s *workspace.Store) *workspace.Keys {
	keys, _ := keysFromAgent(c.agent(), s)
	return keys
}

func keysFromAgent(agent keyagent.Client, s *workspace.Store) (*workspace.Keys, error) {
	mk, err := agent.Get(s.ID())
	if err != nil {
		return nil, err
	}
	defer clear(mk)
	return s.KeysFromMaster(mk)
}

func cmdUnlock(c *cli, args []string) error {
	fs := c.flags()
	idle := fs.Duration("for", keyagent.DefaultIdle, "forget the key after `DURATION` without use; each use starts it again")
	hard := fs.Duration("max", keyagent.DefaultMax, "forget the key `DURATION` after unlocking, used or not (at most 24h)")
	status := fs.Bool("status", false, "say what is unlocked and until when (exit 1 when this workspace is not)")
	if _, err := c.parse(fs, args, "[--for DURATION] [--max DURATION] | --status"); err != nil {
		return err
	}
	if *status {
		return c.unlockStatus()
	}
	set := setFlags(fs)
	switch {
	case *idle <= 0 || *hard <= 0:
		return usagef("--for and --max take a positive duration such as 30m or 2h")
	case *hard > keyagent.MaxLifetime:
		return usagef("--max %s is longer than the %s an agent may hold a key", *hard, keyagent.MaxLifetime)
	case *idle > *hard && set["max"]:
		return usagef("--for %s is longer than --max %s", *idle, *hard)
	case *idle > *hard:
		*hard = min(*idle, keyagent.MaxLifetime)
		*idle = *hard
	}
	s, err := c.store()
	if err != nil {
		return err
	}
	if !s.Encrypted() {
		fmt.Fprintf(c.stdout, "%s has no passphrase: its keys need no unlocking (`mtlswb passwd` sets one)\n", s.Path())
		return nil
	}
	agent := c.agent()
	// Unlocking again renews the times without asking.
	mk, err := agent.Get(s.ID())
	if err != nil {
		keys, err := c.unlockWithPassphrase(s)
		if err != nil {
			return err
		}
		mk, err = keys.MasterKey(s)
		keys.Lock()
		if err != nil {
			return err
		}
	}
	defer clear(mk)
	if _, _, err := agent.Status(); errors.Is(err, keyagent.ErrNoAgent) {
		if err := startAgent(agent.Dir); err != nil {
			return fmt.Errorf("start the key agent: %w", err)
		}
	}
	path, _ := filepath.Abs(s.Path())
	st, err := agent.Add(s.ID(), path, mk, *idle, *hard)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "unlocked %s: kept %s after each use, until %s at the latest (`mtlswb lock` forgets it now)\n",
		path, words(st.Idle), clock(st.HardUntil))
	return nil
}

func (c *cli) unlockStatus() error {
	entries, pid, err := c.agent().Status()
	if errors.Is(err, keyagent.ErrNoAgent) {
		fmt.Fprintln(c.stdout, "nothing is unlocked: no key agent is running (`mtlswb unlock` starts one)")
		return &quietError{exitFailed}
	}
	if err != nil {
		return err
	}
	id := ""
	if s, err := c.store(); err == nil {
		id = s.ID()
	}
	fmt.Fprintf(c.stdout, "key agent %d holds the keys of %d workspace(s):\n", pid, len(entries))
	this := false
	for _, e := range entries {
		mark := ""
		if e.ID == id {
			mark, this = " (this workspace)", true
		}
		fmt.Fprintf(c.stdout, "  %s%s: until %s unless used again (%s after each use), %s at the latest\n",
			e.Path, mark, clock(e.Until()), words(e.Idle), clock(e.HardUntil))
	}
	if !this {
		fmt.Fprintln(c.stdout, "this workspace is locked: `mtlswb unlock` unlocks it")
		return &quietError{exitFailed}
	}
	return nil
}

func cmdLock(c *cli, args []string) error {
	fs := c.flags()
	all := fs.Bool("all", false, "forget every workspace's key; the key agent then exits")
	if _, err := c.parse(fs, args, "[--all]"); err != nil {
		return err
	}
	agent := c.agent()
	id, what := "", "every workspace"
	if !*all {
		s, err := c.store()
		if err != nil {
			return err
		}
		id, what = s.ID(), s.Path()
	}
	held, err := agent.Lock(id)
	switch {
	case errors.Is(err, keyagent.ErrNoAgent):
		fmt.Fprintf(c.stdout, "%s was not unlocked: no key agent is running\n", what)
		return nil
	case err != nil:
		return err
	case !held:
		fmt.Fprintf(c.stdout, "%s was not unlocked\n", what)
		return nil
	}
	fmt.Fprintf(c.stdout, "locked %s: the key agent forgot its key\n", what)
	return nil
}

// cmdAgent is the agent process `unlock` starts. It reports "ready" on
// file descriptor 3 once it listens (or once it finds another agent
// serving the directory), then serves until it holds no key.
func cmdAgent(c *cli, args []string) error {
	fs := c.flags()
	dir := fs.String("dir", "", "serve the agent socket in `DIR` (0700)")
	if _, err := c.parse(fs, args, "--dir DIR"); err != nil {
		return err
	}
	if *dir == "" {
		return usagef("the key agent is started by `mtlswb unlock`, not by hand")
	}
	keyagent.Harden()
	ready := os.NewFile(3, "ready")
	say := func(msg string) {
		if ready != nil {
			ready.WriteString(msg + "\n")
			ready.Close()
			ready = nil
		}
	}
	defer say("error: the key agent ended before it was ready")
	ln, err := keyagent.Listen(*dir)
	if errors.Is(err, keyagent.ErrRunning) {
		say("ready")
		return nil
	}
	if err != nil {
		say("error: " + err.Error())
		return err
	}
	srv := keyagent.NewServer()
	go func() {
		<-c.ctx.Done() // SIGINT, SIGTERM: wipe and go
		srv.Stop()
	}()
	say("ready")
	return srv.Serve(ln)
}

// startAgent starts the agent process for dir and waits until it serves;
// tests replace it with an agent in the test process.
var startAgent = spawnAgent

func spawnAgent(dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	cmd := exec.Command(exe, "agent", "--dir", dir)
	// No environment: a MTLSWB_PASSPHRASE must not live on in the agent.
	cmd.Env = []string{}
	cmd.Dir = "/"
	cmd.ExtraFiles = []*os.File{pw}
	cmd.SysProcAttr = detached()
	err = cmd.Start()
	pw.Close()
	if err != nil {
		return err
	}
	defer cmd.Process.Release()
	pr.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, _ := bufio.NewReader(pr).ReadString('\n')
	line = strings.TrimSpace(line)
	if line != "ready" {
		if line == "" {
			line = "it did not say it was ready within 10s"
		}
		return errors.New(strings.TrimPrefix(line, "error: "))
	}
	return nil
}

// clock is a time of day, with the date when it is not today.
func clock(t time.Time) string {
	now := time.Now()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04:05")
	}
	return t.Format("Jan 2 15:04")
}

// words is a duration without Go's trailing zero units ("15m", not "15m0s").
func words(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
