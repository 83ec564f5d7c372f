package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/mtlswb/mtlswb/tlsengine/safetext"
)

// checkWorkspacePath says what is wrong with path as a workspace file, in
// words about the mistake (a directory, a certificate, a missing
// directory) rather than bbolt's about the bytes. It returns nil for a
// file that may be a workspace, and for init a path that is free.
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
	case err != nil:
		return badInput(fmt.Errorf("workspace %s: %w", path, err))
	case fi.IsDir():
		return badInput(fmt.Errorf("%s is a directory, not a workspace file: pass the file, such as --workspace %s", path, filepath.Join(path, "workspace.db")))
	case !fi.Mode().IsRegular():
		return badInput(fmt.Errorf("%s is not a regular file, so not a workspace", path))
	}
	kind := sniff(path)
	switch {
	case kind == "" && forInit:
		return badInput(fmt.Errorf("a workspace already exists at %s: use it, or pass --workspace PATH for another one", path))
	case kind == "":
		return nil
	case forInit:
		return badInput(fmt.Errorf("%s exists and is not a workspace (it holds %s): init never overwrites a file; choose another --workspace PATH", path, kind))
	}
	hint := ""
	if kind != "something else (not a bbolt database)" && kind != "nothing (it is empty)" {
		hint = fmt.Sprintf(" — did you mean `mtlswb import %s`?", path)
	}
	return badInput(fmt.Errorf("%s is not a workspace file: it holds %s%s", path, kind, hint))
}

// bboltMagic is at offset 16 of a bbolt file's first meta page.
const bboltMagic = 0xED0CDAED

var pemType = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]+)-----`)

// sniff names what a file that is not a bbolt database holds; "" for a
// bbolt database (a workspace, or one Open will judge).
func sniff(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case n == 0:
		return "nothing (it is empty)"
	case n >= 20 && binary.LittleEndian.Uint32(head[16:20]) == bboltMagic:
		return ""
	}
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
	if head[0] == 0x30 {
		return "DER data (a certificate, a key or a PKCS#12 file)"
	}
	return "something else (not a bbolt database)"
}
