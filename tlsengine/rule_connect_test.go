package tlsengine

import "testing"

func proxied(e *evidence) { e.via, e.req.proxy = "proxy", "proxy.local:3128" }

func TestCanceledRule(t *testing.T) {
	checkRule(t, canceledRule{}, map[string]ruleCase{
		"canceled":     {ev: ev(func(e *evidence) { e.canceled = true }), want: []want{{Canceled, Certain, "canceled"}}},
		"not canceled": {ev: ev()},
	})
}

func TestProxyRefusedRule(t *testing.T) {
	px := func(e *evidence) {
		e.proxy = &ProxyError{Proxy: "proxy.local:3128", Status: "407 Proxy Authentication Required"}
	}
	checkRule(t, proxyRefusedRule{}, map[string]ruleCase{
		"refused tunnel": {ev: ev(px), want: []want{{ConnectionRefused, Certain, "answered CONNECT with 407"}}},
		"no proxy":       {ev: ev()},
	})
}

func TestRefusedRule(t *testing.T) {
	refused := func(e *evidence) { e.refused = true }
	checkRule(t, refusedRule{}, map[string]ruleCase{
		"target":         {ev: ev(refused), want: []want{{ConnectionRefused, Certain, "127.0.0.1:8443 was refused"}}},
		"proxy":          {ev: ev(refused, proxied), want: []want{{ConnectionRefused, Certain, "the proxy proxy.local:3128"}}},
		"alert explains": {ev: ev(refused, alert(48))},
		"not refused":    {ev: ev()},
	})
}

func TestUnreachableRule(t *testing.T) {
	checkRule(t, unreachableRule{}, map[string]ruleCase{
		"no route":  {ev: ev(func(e *evidence) { e.unreachable = true }), want: []want{{ConnectionRefused, Certain, "no route to 127.0.0.1:8443"}}},
		"reachable": {ev: ev()},
	})
}
