package tlsengine

import "testing"

func TestBodyReason(t *testing.T) {
	cases := map[string]struct {
		body string
		want string
	}{
		"json error field":        {`{"ok":false,"error":"CN=bob is not on the allow list"}`, "CN=bob is not on the allow list"},
		"oauth error_description": {`{"error":"invalid_token","error_description":"token expired"}`, "token expired"},
		"text first line":         {"\n\nUnauthorized\nmore", "Unauthorized"},
		"json without message":    {`{"code":7}`, `{"code":7}`},
		"hostile json message":    {"{\"message\":\"a\\u001b[2Jb\"}", "a^[[2Jb"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := &HTTPInfo{Body: []byte(tc.body), BodyPreview: tc.body}
			if got := bodyReason(h); got != tc.want {
				t.Errorf("bodyReason = %q, want %q", got, tc.want)
			}
		})
	}
}
