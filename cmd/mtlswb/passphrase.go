package main

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
	"github.com/mtlswb/mtlswb/workspace/safefile"
)

// unlock returns the workspace keys: from the key agent when it holds them
// (`mtlswb unlock`), else from the passphrase, asked for only when the
// workspace is encrypted. A typed passphrase that is wrong may be typed
// again, up to promptTries times.
func (c *cli) unlock(s *workspace.Store) (*workspace.Keys, error) {
	if c.keys != nil {
		return c.keys, nil
	}
	if !s.Encrypted() {
		keys, err := s.Unlock(nil)
		if err != nil {
			return nil, err
		}
		c.keys = keys
		return keys, nil
	}
	if keys := c.agentKeys(s); keys != nil {
		c.keys = keys
		return keys, nil
	}
	keys, err := c.unlockWithPassphrase(s)
	if err != nil {
		return nil, err
	}
	c.keys = keys
	return keys, nil
}

// promptTries is how many wrong passphrases a prompt accepts before it
// gives up, as sudo and ssh do.
const promptTries = 3

// unlockWithPassphrase runs the slow key derivation on a passphrase from
// MTLSWB_PASSPHRASE, --passphrase-file or the terminal, in that order.
func (c *cli) unlockWithPassphrase(s *workspace.Store) (*workspace.Keys, error) {
	src := c.workspaceSecret("workspace passphrase")
	for try := 1; ; try++ {
		pass, from, err := c.secretFrom(src)
		if err != nil {
			return nil, err
		}
		keys, err := s.Unlock(pass)
		clear(pass)
		if !errors.Is(err, workspace.ErrWrongPassphrase) {
			return keys, err
		}
		switch {
		case from == fromPrompt && try < promptTries:
			fmt.Fprintf(c.stderr, "wrong passphrase: it does not unlock %s; try again\n", s.Path())
			continue
		case from == fromPrompt:
			return nil, &hintError{err: fmt.Errorf("%d typed passphrases did not unlock %s: %w", promptTries, s.Path(), err),
				hints: []string{"nothing was changed; if you forgot the passphrase, the keys in this workspace cannot be recovered"}}
		case from == fromEnv:
			return nil, &hintError{err: fmt.Errorf("MTLSWB_PASSPHRASE does not unlock %s: %w", s.Path(), err),
				hints: []string{"nothing was changed; unset MTLSWB_PASSPHRASE to be asked instead, or set the right one"}}
		default:
			return nil, &hintError{err: fmt.Errorf("the passphrase in %s (--passphrase-file) does not unlock %s: %w", src.file, s.Path(), err),
				hints: []string{"nothing was changed; check which file --passphrase-file names"}}
		}
	}
}

// workspaceSecret is where the workspace passphrase may come from.
func (c *cli) workspaceSecret(what string) secretSource {
	return secretSource{what: what, env: "MTLSWB_PASSPHRASE", file: c.passphraseFile, fileFlag: "--passphrase-file",
		ways: "run `mtlswb unlock` in a terminal first, set MTLSWB_PASSPHRASE, or pass --passphrase-file FILE"}
}

// secretSource says where one secret may come from, in order: an
// environment variable, a file named by a flag, a no-echo prompt on a
// terminal. Never from a flag value: it would land in shell history.
type secretSource struct {
	what     string // "workspace passphrase"
	env      string
	file     string
	fileFlag string
	confirm  bool   // ask twice at a prompt
	ways     string // how to give it without a prompt; "" = the env and file flag
}

// secretOrigin is where a secret came from, for a message that blames the
// right one.
type secretOrigin int

const (
	fromEnv secretOrigin = iota
	fromFile
	fromPrompt
)

// maxPassphraseFile bounds what a passphrase file may hold: a passphrase is
// a line, and /dev/zero named by mistake must not fill memory.
const maxPassphraseFile = 4 << 10

func (c *cli) secret(src secretSource) ([]byte, error) {
	pass, _, err := c.secretFrom(src)
	return pass, err
}

func (c *cli) secretFrom(src secretSource) ([]byte, secretOrigin, error) {
	if v := c.getenv(src.env); v != "" {
		return []byte(v), fromEnv, nil
	}
	if src.file != "" {
		data, err := safefile.ReadLimited(src.file, maxPassphraseFile, "passphrase file")
		if err != nil {
			return nil, fromFile, badInput(fmt.Errorf("read %s from %s: %w", src.what, src.file, err))
		}
		if w := safefile.ModeWarning(src.file, "the passphrase file"); w != "" {
			fmt.Fprintf(c.stderr, "warning: %s\n", safetext.Line(w))
		}
		data = bytes.TrimSuffix(data, []byte("\n"))
		data = bytes.TrimSuffix(data, []byte("\r"))
		if len(data) == 0 {
			return nil, fromFile, badInput(fmt.Errorf("%s: the %s file is empty", src.file, src.what))
		}
		return data, fromFile, nil
	}
	ways := src.ways
	if ways == "" {
		ways = fmt.Sprintf("set %s or pass %s FILE", src.env, src.fileFlag)
	}
	first, err := c.promptSecret("Enter", src.what, ways)
	if err != nil {
		return nil, fromPrompt, err
	}
	if !src.confirm {
		return first, fromPrompt, nil
	}
	second, err := c.promptSecret("Repeat", src.what, ways)
	if err != nil {
		clear(first)
		return nil, fromPrompt, err
	}
	defer clear(second)
	if !bytes.Equal(first, second) {
		clear(first)
		return nil, fromPrompt, badInput(fmt.Errorf("the two %ss differ; nothing was changed, try again", src.what))
	}
	return first, fromPrompt, nil
}
