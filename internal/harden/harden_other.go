//go:build !unix

package harden

// NoCoreDumps does nothing where there is no core-size limit to set.
func NoCoreDumps() {}
