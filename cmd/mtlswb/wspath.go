package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/mtlswb/mtlswb/tlsengine/certfile"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// checkWorkspacePath says what is wrong with path as a workspace file when
// the mistake is plain: a directory, a certificate or key file, a missing
// directory. Those are the user's (exit 2), in words about the mistake. A
// file that may be a damaged workspace (empty, not a bbolt file, a FIFO, a
// link loop) is left to workspace.Open and `mtlswb doctor`, which name the
// damage. It returns nil for a path that may be a workspace, or is free for
// init.
func checkWorkspacePath(path string, forInit bool) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if forInit {
			return nil // init makes the missing directories
		}
		dir := filepath.Dir(path)
		if _, derr := os.Stat(dir); errors.Is(derr, fs.ErrNotExist) {
			return badInput(fmt.Errorf("no workspace at %s: the directory %s does not exist; check the path, or run `mtlswb init` to create one there", path, dir))
		}
		return badInput(fmt.Errorf("no workspace at %s: run `mtlswb init` to create one, or pass --workspace PATH", path))
	case err != nil || !fi.Mode().IsRegular() && !fi.IsDir():
		return nil
	case fi.IsDir():
		return badInput(fmt.Errorf("%s is a directory, not a workspace file: pass the file, such as --workspace %s", path, filepath.Join(path, "workspace.db")))
	}
	kind := sniff(path)
	switch {
	case kind == "":
		return nil
	case forInit:
		return badInput(fmt.Errorf("%s exists and is not a workspace (it holds %s): init never overwrites a file; choose another --workspace PATH", path, kind))
	}
	return badInput(fmt.Errorf("%s is not a workspace file: it holds %s — did you mean `mtlswb import %s`?", path, kind, path))
}

var pemType = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]+)-----`)

// sniffLimit is how much of a file sniff reads: a PEM header is near the
// start, and a DER certificate or PKCS#12 file is rarely larger.
const sniffLimit = 64 << 10

// sniff names what a file holds when it is certainly not a workspace: PEM
// text, or DER that parses as a certificate, a key or a PKCS#12 file. ""
// otherwise, for Open to judge.
func sniff(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	head, _ := io.ReadAll(io.LimitReader(f, sniffLimit))
	if m := pemType.FindSubmatch(head); m != nil {
		what := string(m[1])
		switch {
		case bytes.Contains(m[1], []byte("CERTIFICATE")):
			what = "certificate"
		case bytes.Contains(m[1], []byte("PRIVATE KEY")):
			what = "private key"
		}
		return "a PEM " + safetext.Line(what)
	}
	if len(head) == 0 || head[0] != 0x30 {
		return "" // every DER structure starts with a SEQUENCE; a workspace with a zero page id
	}
	b, err := certfile.Parse(head, "", nil)
	switch {
	case errors.Is(err, certfile.ErrEncrypted), errors.Is(err, certfile.ErrWrongPassphrase):
		return "an encrypted key or PKCS#12 file"
	case err == nil && len(b.Certs) > 0:
		return "a DER certificate"
	case err == nil && len(b.Keys) > 0:
		return "a DER private key"
	}
	return ""
}
