package tlsengine

import (
	"net"
	"testing"
)

func TestReach(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := ln.Addr().String()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	defer ln.Close()

	if rep := Reach(t.Context(), Request{URL: "https://" + open + "/"}); rep != nil {
		t.Errorf("a listening port is unreachable: %+v", rep.Failure)
	}
	rep := Reach(t.Context(), Request{URL: "https://" + refused + "/", ClientName: "joe"})
	if rep == nil || rep.Failure == nil || rep.Failure.Category != ConnectionRefused || rep.Failure.Phase != PhaseConnect {
		t.Fatalf("a closed port: %+v", rep)
	}
	if rep.OK || rep.Request.Identity != "joe" || rep.Request.Method != "GET" {
		t.Errorf("report header: %+v", rep.Request)
	}
	if rep := Reach(t.Context(), Request{URL: "http://" + open}); rep != nil {
		t.Error("an invalid request is Run's to report, not Reach's")
	}
}
