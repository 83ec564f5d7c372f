package main

import (
	"flag"

	"github.com/mtlswb/mtlswb/workspace/safefile"
)

// defaultMaxBody bounds a request body read from -d @FILE: the engine reads
// answers up to the same 64 MiB, and /dev/zero named by mistake must not
// fill memory.
const defaultMaxBody = 64 << 20

// sizeValue is a byte count given as 1048576, 512K, 64M or 1G.
type sizeValue int64

func (v *sizeValue) String() string { return safefile.FormatSize(int64(*v)) }

func (v *sizeValue) Set(s string) error {
	n, err := safefile.ParseSize(s)
	if err != nil {
		return err
	}
	*v = sizeValue(n)
	return nil
}

// sizeFlag defines a size flag with its default.
func sizeFlag(fs *flag.FlagSet, name string, def int64, usage string) *sizeValue {
	v := sizeValue(def)
	fs.Var(&v, name, usage)
	return &v
}

// readLimited reads a file the user named, refusing more than limit bytes
// (a FIFO or process substitution works; /dev/zero stops at the limit).
func readLimited(path string, limit int64, what string) ([]byte, error) {
	return safefile.ReadLimited(path, limit, what)
}
