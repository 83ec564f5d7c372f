package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// TestComposerProtocolFields: a postgres:// URL replaces the method,
// headers and body with the user and database, the request carries them
// and nothing of HTTP, and the inspector shows the server's verdict.
func TestComposerProtocolFields(t *testing.T) {
	ws := newTestWorkspace(t, false)
	var got tlsengine.Request
	engine := func(_ context.Context, req tlsengine.Request) tlsengine.Report {
		got = req
		r := okReport()
		r.HTTP = nil
		r.Application = &tlsengine.Application{Protocol: "PostgreSQL", Accepted: true,
			Message: `authentication ok: connected as user "app" to database "appdb"`}
		return r
	}
	m := newTestModel(t, ws.copyOf(t), engine)
	start(t, m, 100, 30)
	press(t, m, "3")
	typeText(t, m, "postgres://127.0.0.1:5432")
	view := plainView(m)
	for _, want := range []string{"User", "Database"} {
		if !strings.Contains(view, want) {
			t.Errorf("no %s field for postgres://:\n%s", want, view)
		}
	}
	for _, gone := range []string{"Method", "Headers", "Body", "Client id"} {
		if strings.Contains(view, gone) {
			t.Errorf("field %s shown for postgres://:\n%s", gone, view)
		}
	}
	press(t, m, "tab") // from the URL to the user: HTTP's fields are skipped
	typeText(t, m, "app")
	press(t, m, "tab")
	typeText(t, m, "appdb")
	_, cmd := m.Update(keyMsg("ctrl+s"))
	drive(t, m, cmd)
	if got.Options.User != "app" || got.Options.Database != "appdb" || got.Method != "" || len(got.Header) > 0 || len(got.Body) > 0 {
		t.Fatalf("the engine got options %+v, method %q, headers %v, body %q", got.Options, got.Method, got.Header, got.Body)
	}
	if view := plainView(m); !strings.Contains(view, "PostgreSQL accepted") {
		t.Errorf("the verdict does not name the protocol's answer:\n%s", view)
	}
	resp := renderResponse(&m.sh.styles, m.inspector.report, false, 80)
	for _, want := range []string{"PostgreSQL: accepted", `connected as user "app"`} {
		if !strings.Contains(resp, want) {
			t.Errorf("the Response tab lacks %q:\n%s", want, resp)
		}
	}
}
