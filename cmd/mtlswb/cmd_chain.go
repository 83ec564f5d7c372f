package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

// cmdChain edits the chain an identity sends: `chain add IDENTITY CA`
// appends a workspace CA, the intermediate a server needs to reach the CA
// it trusts (the diagnosis names it when a chain stops short).
func cmdChain(c *cli, args []string) error {
	fs := c.flags()
	pos, err := c.parse(fs, args, "add IDENTITY CA")
	if err != nil {
		return err
	}
	if len(pos) == 0 || pos[0] != "add" {
		return usagef("expected `chain add IDENTITY CA`")
	}
	if err := wantArgs(pos[1:], 2, "IDENTITY CA"); err != nil {
		return err
	}
	id, ca := pos[1], pos[2]
	s, err := c.store()
	if err != nil {
		return err
	}
	if err := s.AddToChain(id, ca); err != nil {
		var ce *workspace.ChainError
		if errors.As(err, &ce) {
			return badInput(err)
		}
		return err
	}
	rec, err := s.Get(id)
	if err != nil {
		return err
	}
	names := make([]string, len(rec.Chain))
	for i, cert := range rec.Chain {
		names[i] = safetext.Line(cert.Subject.String())
	}
	fmt.Fprintf(c.stdout, "identity %s now sends %s\n", safetext.Line(id), strings.Join(names, " ← "))
	return nil
}
