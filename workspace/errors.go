package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// Sentinels callers test with errors.Is. The typed errors below match them
// through their Is methods, so a caller can choose either granularity.
var (
	// ErrNotFound: no record, saved request or history entry by that name or id.
	ErrNotFound = errors.New("not found in the workspace")
	// ErrNoWorkspace: there is no workspace file at the path.
	ErrNoWorkspace = errors.New("no workspace")
	// ErrExists: Create found a workspace already there.
	ErrExists = errors.New("a workspace already exists")
	// ErrWrongPassphrase: the passphrase does not open the wrapped master key.
	ErrWrongPassphrase = errors.New("wrong passphrase: it does not unlock this workspace; try again")
	// ErrLocked: the operation needs decrypted keys and none were given, or
	// they were locked.
	ErrLocked = errors.New("workspace is locked: unlock it with its passphrase first")
	// ErrNewerSchema: the file was written by a newer mtlswb.
	ErrNewerSchema = errors.New("workspace schema is newer than this mtlswb")
	// ErrCorrupt: the file is damaged or not a workspace. Where an
	// authenticated check failed (a sealed key that does not open), the
	// message around it says the record was altered.
	ErrCorrupt = errors.New("the workspace file is damaged")
	// ErrNoKey: the record has no private key (a CA imported without one).
	ErrNoKey = errors.New("record has no private key")
)

// NotFoundError names what was missing. It matches ErrNotFound.
type NotFoundError struct {
	What string // "record", "identity", "CA", "saved request", "history entry"
	Name string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no %s named `%s` in the workspace; run `mtlswb ls` to see what it holds", e.What, safetext.Line(e.Name))
}

func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// NoWorkspaceError says there is no workspace at Path. It matches
// ErrNoWorkspace and fs.ErrNotExist.
type NoWorkspaceError struct{ Path string }

func (e *NoWorkspaceError) Error() string {
	return fmt.Sprintf("no workspace at %s: run `mtlswb init` to create one (or set MTLSWB_WORKSPACE)", safetext.Line(e.Path))
}

func (e *NoWorkspaceError) Is(target error) bool {
	return target == ErrNoWorkspace || target == fs.ErrNotExist
}

// SchemaError says the workspace was written by a newer mtlswb. It matches
// ErrNewerSchema.
type SchemaError struct{ Version uint64 }

func (e *SchemaError) Error() string {
	return fmt.Sprintf("this workspace was written by a newer mtlswb (schema %d); upgrade mtlswb", e.Version)
}

func (e *SchemaError) Is(target error) bool { return target == ErrNewerSchema }

// BusyError says another process holds the workspace file's lock. PID is 0
// when the holder could not be found.
type BusyError struct {
	PID  int
	Path string
	// Program is the holder's program name (Linux: /proc/PID/comm), so a
	// lock held by a bbolt tool or a backup program is not blamed on mtlswb.
	Program string
	// Reading is set when the holder has the file open for reading only
	// (it still keeps writers out).
	Reading bool
}

func (e *BusyError) Error() string {
	who := "another mtlswb"
	switch {
	case e.PID > 0 && e.Program != "" && e.Program != "mtlswb":
		who = fmt.Sprintf("another program, %s (pid %d),", safetext.Line(e.Program), e.PID)
	case e.PID > 0:
		who = fmt.Sprintf("another mtlswb (pid %d)", e.PID)
	}
	verb := "writing"
	if e.Reading {
		verb = "reading"
	}
	return fmt.Sprintf("workspace is busy: %s is %s %s; wait for it to finish or close it", who, verb, safetext.Line(e.Path))
}

// NameTakenError says a record or saved request already has the name.
type NameTakenError struct{ Name string }

func (e *NameTakenError) Error() string {
	return fmt.Sprintf("the name `%s` is already taken; choose another name, or remove or rename the entry that has it", safetext.Line(e.Name))
}

// DuplicateError says the certificate being added is already stored, under
// the name Existing. Name is the name it was being added as; Subject
// describes the certificate (sanitized). SameBatch is set when Existing is
// not stored yet but came earlier in the same Add.
type DuplicateError struct {
	Name      string
	Existing  string
	Subject   string
	SameBatch bool
}

func (e *DuplicateError) Error() string {
	cert := "the certificate"
	if e.Subject != "" {
		cert = fmt.Sprintf("certificate %q", e.Subject)
	}
	if e.SameBatch {
		return fmt.Sprintf("cannot add `%s`: %s is given twice, also as `%s`; add it once",
			safetext.Line(e.Name), cert, safetext.Line(e.Existing))
	}
	return fmt.Sprintf("cannot add `%s`: %s is already in the workspace as `%s`; use that entry or remove it first",
		safetext.Line(e.Name), cert, safetext.Line(e.Existing))
}

// InUseError says a CA cannot be removed because identities it issued are
// still in the workspace.
type InUseError struct {
	CA         string
	Identities []string
}

// ProfileUseError says profiles still name the record being removed.
type ProfileUseError struct {
	Name     string
	Profiles []string
}

func (e *ProfileUseError) Error() string {
	names := make([]string, len(e.Profiles))
	for i, n := range e.Profiles {
		names[i] = "`" + safetext.Line(n) + "`"
	}
	return fmt.Sprintf("`%s` is used by profile %s; edit or remove the profile first, or force the removal (the profile then refuses to send until it is edited)",
		safetext.Line(e.Name), strings.Join(names, ", "))
}

func (e *InUseError) Error() string {
	names := make([]string, len(e.Identities))
	for i, n := range e.Identities {
		names[i] = "`" + safetext.Line(n) + "`"
	}
	return fmt.Sprintf("CA `%s` issued identities still in the workspace (%s); remove them first, or force the removal",
		safetext.Line(e.CA), strings.Join(names, ", "))
}
