// Package realserver starts real server software on 127.0.0.1 for
// integration tests, configured the way its users configure client
// certificates: nginx, HAProxy, Apache httpd with mod_ssl, stunnel,
// PostgreSQL, mosquitto and MariaDB.
//
// # What every Start function does
//
// It writes the daemon's own config, certificates, pid file and logs into
// t.TempDir(), picks a free 127.0.0.1 port, starts the process itself (never
// `service` or `systemctl`) and waits until the port accepts connections or
// the process exits, with a deadline and no sleeps. The process is stopped by
// its PID in t.Cleanup. A daemon that is not installed fails the test with
// the command that installs it (`make tools`): the Makefile runs that target
// before the tests, so a missing daemon is a broken machine, not a reason to
// skip.
//
// Start(t, cfg) runs whichever daemon cfg configures (an NginxConfig starts
// nginx, and so on), so a test can keep its server set-ups in a table.
//
// The returned Server gives the address and Logs, the daemon's error and
// access logs, for the test's failure messages: when an expectation about a
// real server is wrong, its own log says why. (The first connection each log
// shows closing during the handshake is the start-up probe.)
//
// # Users
//
// As root, PostgreSQL refuses to run and Apache refuses to serve; both run as
// the dedicated user TestUser, created when missing. The files they need are
// handed to that user and the temp dirs above them made traversable.
//
// It belongs to the engine layer's test tools, like tlstest: it must not import
// workspace, tui, bbolt or the terminal UI libraries (see package tlsengine).
package realserver
