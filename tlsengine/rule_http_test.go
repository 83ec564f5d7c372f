package tlsengine

import "testing"

const nginx496 = "<html><head><title>400 No required SSL certificate was sent</title></head></html>"

func TestHTTPRules(t *testing.T) {
	checkRule(t, nginxNoCertificateRule{}, map[string]ruleCase{
		"496 page":    {ev: ev(requested, chosen, answer(400, nginx496)), want: []want{{ClientCertRequired, Certain, "No required SSL certificate was sent"}}},
		"other 400":   {ev: ev(answer(400, "bad request"))},
		"page on 200": {ev: ev(answer(404, nginx496))},
	})
	checkRule(t, httpUnauthorizedRule, map[string]ruleCase{
		"401": {ev: ev(answer(401, "")), want: []want{{HTTPUnauthorized, Certain, "HTTP 401"}}},
		"403": {ev: ev(answer(403, ""))},
	})
	checkRule(t, httpForbiddenRule, map[string]ruleCase{
		"403":   {ev: ev(answer(403, "")), want: []want{{HTTPForbidden, Certain, "HTTP 403"}}},
		"error": {ev: ev()},
	})
	checkRanked(t, map[string]rankCase{
		"496 page":          {ev: ev(requested, sent, answer(400, nginx496)), want: []want{{ClientCertRequired, Certain, ""}}},
		"plain 400":         {ev: ev(answer(400, "bad request")), want: []want{{HTTPError, Certain, "HTTP 400"}}},
		"500":               {ev: ev(answer(500, "")), want: []want{{HTTPError, Certain, "HTTP 500"}}},
		"401 with identity": {ev: ev(sent, answer(401, "")), want: []want{{HTTPUnauthorized, Certain, ""}}},
	})
}

func TestHTTPExplanations(t *testing.T) {
	f := diagnosis(ev(sent, answer(401, "CN=joe is not on the allow list")))
	if f.Detail != "the TLS handshake succeeded; the server answered HTTP 401: CN=joe is not on the allow list" ||
		len(f.Hints) != 2 || f.Hints[1] != "if it authorizes by client certificate, identity `joe` may not be on its allow list" {
		t.Errorf("401: detail %q, hints %q", f.Detail, f.Hints)
	}
	f = diagnosis(ev(answer(403, "")))
	if f.Detail != "the TLS handshake succeeded; the server answered HTTP 403" || len(f.Hints) != 1 {
		t.Errorf("403 without identity: detail %q, hints %q", f.Detail, f.Hints)
	}
	f = diagnosis(ev(requested, answer(400, nginx496)))
	if f.Phase != PhaseResponse || f.Summary != "the server requires a client certificate and none was sent: no identity was chosen" {
		t.Errorf("496: phase %s, summary %q", f.Phase, f.Summary)
	}
	if f = diagnosis(ev(answer(503, ""))); f.Hints[0] != "the server failed while handling the request: check its logs" {
		t.Errorf("503 hints %q", f.Hints)
	}
}

func TestRedirectRule(t *testing.T) {
	loop := func(e *evidence) {
		e.phase, e.redirect = PhaseResponse, &RedirectError{Chain: []string{"https://h/a", "https://h/b", "https://h/a"}, Loop: true}
	}
	long := func(e *evidence) {
		e.phase, e.redirect = PhaseResponse, &RedirectError{Chain: []string{"https://h/1", "https://h/2"}}
	}
	checkRule(t, redirectRule{}, map[string]ruleCase{
		"loop":        {ev: ev(tls13Done, loop), want: []want{{HTTPError, Certain, "redirected https://h/a → https://h/b → https://h/a"}}},
		"long chain":  {ev: ev(tls13Done, long), want: []want{{HTTPError, Certain, "redirected https://h/1 → https://h/2"}}},
		"no redirect": {ev: ev(tls13Done, phase(PhaseResponse))},
	})
}
