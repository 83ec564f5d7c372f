package keyagent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"time"
)

// Client talks to the agent of one directory.
type Client struct {
	Dir string
	// Timeout bounds a whole exchange; zero means 2 s. A live agent
	// answers in microseconds; a hung one must not hang a command.
	Timeout time.Duration
}

// Get returns the key held under id and renews its idle time. It returns
// ErrNoAgent or ErrNotHeld when there is none.
func (c Client) Get(id string) ([]byte, error) {
	resp, err := c.call(request{Op: "get", ID: id})
	if err != nil {
		return nil, err
	}
	if !resp.Held {
		return nil, ErrNotHeld
	}
	return resp.Key, nil
}

// Add hands key to the agent under id, to be kept idle long without use and
// at most max.
func (c Client) Add(id, path string, key []byte, idle, max time.Duration) (Status, error) {
	resp, err := c.call(request{Op: "add", ID: id, Path: path, Key: key, Idle: idle, Max: max})
	if err != nil {
		return Status{}, err
	}
	if len(resp.Entries) != 1 {
		return Status{}, errors.New("the key agent did not confirm the key")
	}
	return resp.Entries[0], nil
}

// Lock makes the agent forget the key under id, or every key when id is
// "". It reports whether there was one to forget.
func (c Client) Lock(id string) (bool, error) {
	resp, err := c.call(request{Op: "lock", ID: id})
	if err != nil {
		return false, err
	}
	return resp.Held, nil
}

// Status lists what the agent holds, and its process id.
func (c Client) Status() ([]Status, int, error) {
	resp, err := c.call(request{Op: "status"})
	if err != nil {
		return nil, 0, err
	}
	return resp.Entries, resp.PID, nil
}

func (c Client) call(req request) (response, error) {
	if err := checkDir(c.Dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return response{}, ErrNoAgent
		}
		return response{}, err
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	conn, err := net.DialTimeout("unix", SocketPath(c.Dir), timeout)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return response{}, ErrNoAgent
		}
		return response{}, fmt.Errorf("reach the key agent: %w", err)
	}
	defer conn.Close()
	uc := conn.(*net.UnixConn)
	// The directory is private, but the kernel's word is cheap to ask:
	// a key goes only to, and comes only from, a process of this user.
	if uid, err := peerUID(uc); err != nil || uid != os.Getuid() {
		return response{}, fmt.Errorf("the key agent's socket %s is not served by you (uid %d); remove it and unlock again", SocketPath(c.Dir), os.Getuid())
	}
	conn.SetDeadline(time.Now().Add(timeout))
	b, err := json.Marshal(req)
	if err != nil {
		return response{}, err
	}
	_, werr := conn.Write(append(b, '\n'))
	clear(b)
	// A refusing agent answers before reading and closes, which can fail
	// the write; its answer is still there to read.
	line, err := bufio.NewReaderSize(conn, maxMessage).ReadSlice('\n')
	if err != nil {
		if werr != nil {
			err = werr
		}
		return response{}, fmt.Errorf("talk to the key agent: %w", err)
	}
	var resp response
	err = json.Unmarshal(line, &resp)
	clear(line)
	if err != nil {
		return response{}, fmt.Errorf("the key agent's answer is unreadable: %w", err)
	}
	if resp.Err != "" {
		return response{}, fmt.Errorf("key agent: %s", resp.Err)
	}
	return resp, nil
}
