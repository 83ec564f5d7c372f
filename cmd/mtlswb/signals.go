package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"
)

// signalGrace is how long a command may take to wind down after SIGINT or
// SIGTERM cancelled its context. Commands that watch the context (send,
// serve, the TUI) end long before; this bounds those that cannot, such as
// one blocked opening a FIFO no one writes to.
const signalGrace = 3 * time.Second

// obeySignals waits for the first SIGINT or SIGTERM (which cancels ctx),
// gives the default action back so a second one ends the process at once,
// and after signalGrace exits, restoring the terminal first. main runs it
// in a goroutine; a command that returns in time never meets it.
func obeySignals(ctx context.Context, stop func()) {
	<-ctx.Done()
	stop()
	time.AfterFunc(signalGrace, func() {
		runExitHooks()
		fmt.Fprintln(os.Stderr, "mtlswb: interrupted; stopped without finishing (the workspace is left as it was before the last write, or with it)")
		os.Exit(exitFailed)
	})
}

var (
	exitHooksMu sync.Mutex
	exitHooks   []func()
)

// atForcedExit registers fn to run before a forced exit; the returned
// function unregisters it.
func atForcedExit(fn func()) (remove func()) {
	exitHooksMu.Lock()
	defer exitHooksMu.Unlock()
	exitHooks = append(exitHooks, fn)
	i := len(exitHooks) - 1
	return func() {
		exitHooksMu.Lock()
		defer exitHooksMu.Unlock()
		exitHooks[i] = nil
	}
}

func runExitHooks() {
	exitHooksMu.Lock()
	defer exitHooksMu.Unlock()
	for _, fn := range exitHooks {
		if fn != nil {
			fn()
		}
	}
}
