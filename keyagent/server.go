package keyagent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Listener is the agent's socket, with the lock that makes it the only
// agent of its directory.
type Listener struct {
	*net.UnixListener
	lock *os.File
	path string
}

// Close stops listening, removes the socket and releases the lock.
func (l *Listener) Close() error {
	err := l.UnixListener.Close()
	os.Remove(l.path)
	l.lock.Close()
	return err
}

// Listen creates dir if needed and listens on its socket. ErrRunning means
// another agent holds the directory's lock: use that one.
func Listen(dir string) (*Listener, error) {
	if err := makeDir(dir); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "agent.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := flock(lock); err != nil {
		lock.Close()
		return nil, err
	}
	path := SocketPath(dir)
	// The lock is ours, so a socket file left here is a dead agent's.
	_ = os.Remove(path)
	// The socket is created with the umask's bits: mask everything but
	// the owner's for the moment of creation, so it is never wider.
	restore := privateUmask()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	restore()
	if err != nil {
		lock.Close()
		return nil, err
	}
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		lock.Close()
		return nil, err
	}
	return &Listener{UnixListener: ln, lock: lock, path: path}, nil
}

// Server holds keys and answers clients of its own uid.
type Server struct {
	mu      sync.Mutex
	entries map[string]*entry
	timer   *time.Timer
	done    chan struct{}
	ended   bool
	// uid is the only user served; tests change it to prove that
	// others are refused.
	uid int
	now func() time.Time
}

type entry struct {
	key                  []byte
	path                 string
	idle                 time.Duration
	idleUntil, hardUntil time.Time
}

// startGrace is how long a new agent waits for its first key before it
// exits (its `mtlswb unlock` died before adding it).
const startGrace = 30 * time.Second

// NewServer returns an agent holding nothing.
func NewServer() *Server {
	s := &Server{entries: map[string]*entry{}, done: make(chan struct{}), uid: os.Getuid(), now: time.Now}
	s.timer = time.AfterFunc(startGrace, s.expire)
	return s
}

// Done is closed when the agent has nothing left to hold: every key was
// locked or expired (or none came after the start). Keys are wiped by then.
func (s *Server) Done() <-chan struct{} { return s.done }

// Stop wipes every key and closes Done.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.entries {
		s.forget(id)
	}
	s.end()
}

// Serve answers connections on ln until Done, then closes ln.
func (s *Server) Serve(ln *Listener) error {
	go func() {
		<-s.done
		ln.Close()
	}()
	for {
		conn, err := ln.AcceptUnix()
		if err != nil {
			select {
			case <-s.done:
				return nil
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.Stop()
			return err
		}
		go s.handle(conn)
	}
}

// Harden keeps the agent's memory out of core files and, on Linux, out of
// reach of other processes of the same user (ptrace, /proc/PID/mem).
func Harden() { harden() }

func (s *Server) handle(conn *net.UnixConn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	uid, err := peerUID(conn)
	if err != nil || uid != s.uid {
		// Nothing is read from a stranger, and nothing but a refusal sent.
		writeResponse(conn, response{Err: fmt.Sprintf("refused: this key agent serves uid %d only", s.uid)})
		return
	}
	line, err := bufio.NewReaderSize(conn, maxMessage).ReadSlice('\n')
	if err != nil {
		return
	}
	var req request
	err = json.Unmarshal(line, &req)
	clear(line) // an add carries the key
	if err != nil {
		writeResponse(conn, response{Err: "unreadable request"})
		return
	}
	resp := s.answer(&req)
	clear(req.Key)
	writeResponse(conn, resp)
	clear(resp.Key)
}

func writeResponse(conn net.Conn, resp response) {
	b, err := json.Marshal(resp)
	if err != nil {
		return
	}
	conn.Write(append(b, '\n'))
	clear(b)
}

func (s *Server) answer(req *request) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return response{Err: "the key agent is exiting"}
	}
	now := s.now()
	switch req.Op {
	case "add":
		if req.ID == "" || len(req.Key) == 0 || req.Idle <= 0 || req.Max <= 0 {
			return response{Err: "add needs an id, a key, an idle time and a maximum"}
		}
		s.forget(req.ID)
		key := append([]byte(nil), req.Key...)
		lockMemory(key)
		maxTime := min(req.Max, MaxLifetime)
		e := &entry{key: key, path: req.Path, idle: min(req.Idle, maxTime), hardUntil: now.Add(maxTime)}
		e.idleUntil = now.Add(e.idle)
		s.entries[req.ID] = e
		s.schedule()
		return response{Held: true, Entries: []Status{e.status(req.ID)}, PID: os.Getpid()}
	case "get":
		e := s.entries[req.ID]
		if e == nil {
			return response{}
		}
		e.idleUntil = now.Add(e.idle)
		s.schedule()
		return response{Held: true, Key: append([]byte(nil), e.key...)}
	case "lock":
		held := false
		for id := range s.entries {
			if req.ID == "" || id == req.ID {
				s.forget(id)
				held = true
			}
		}
		if len(s.entries) == 0 {
			s.end()
		} else {
			s.schedule()
		}
		return response{Held: held}
	case "status":
		resp := response{PID: os.Getpid()}
		for id, e := range s.entries {
			resp.Entries = append(resp.Entries, e.status(id))
		}
		return resp
	}
	return response{Err: fmt.Sprintf("unknown request %q", req.Op)}
}

func (e *entry) status(id string) Status {
	return Status{ID: id, Path: e.path, Idle: e.idle, IdleUntil: e.idleUntil, HardUntil: e.hardUntil}
}

// forget wipes one key; s.mu is held.
func (s *Server) forget(id string) {
	if e := s.entries[id]; e != nil {
		clear(e.key)
		delete(s.entries, id)
	}
}

// schedule sets the timer to the earliest moment a key goes; s.mu is held.
func (s *Server) schedule() {
	var next time.Time
	for _, e := range s.entries {
		if t := min2(e.idleUntil, e.hardUntil); next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if !next.IsZero() {
		s.timer.Reset(max(next.Sub(s.now()), 0))
	}
}

// expire forgets every key whose time is up, and ends the agent when none
// is left.
func (s *Server) expire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for id, e := range s.entries {
		if !now.Before(min2(e.idleUntil, e.hardUntil)) {
			s.forget(id)
		}
	}
	if len(s.entries) == 0 {
		s.end()
		return
	}
	s.schedule()
}

// end closes Done once; s.mu is held.
func (s *Server) end() {
	if !s.ended {
		s.ended = true
		s.timer.Stop()
		close(s.done)
	}
}

func min2(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
