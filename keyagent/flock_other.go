//go:build !unix

package keyagent

import (
	"errors"
	"os"
)

func flock(*os.File) error {
	return errors.New("the key agent runs on Linux and macOS only")
}

func privateUmask() (restore func()) { return func() {} }
