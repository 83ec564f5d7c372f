package workspace

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mtlswb/mtlswb/tlsengine"
)

// TestSpecProtocolOptions: a saved spec keeps the protocol options, they
// reach the engine request, and a URL that is not HTTP gets no method.
func TestSpecProtocolOptions(t *testing.T) {
	spec := RequestSpec{URL: "postgres://db:5432/app", User: "app", Database: "appdb", ClientID: "c", GRPCMethod: "/a.B/C", SASLExternal: true}
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	var back RequestSpec
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, spec) {
		t.Fatalf("round trip: %+v, %v (json %s)", back, err, b)
	}
	req, err := spec.Request()
	if err != nil {
		t.Fatal(err)
	}
	want := tlsengine.Options{User: "app", Database: "appdb", ClientID: "c", GRPCMethod: "/a.B/C", SASLExternal: true}
	if req.Options != want || req.Method != "" {
		t.Errorf("request options %+v, method %q; want %+v and none", req.Options, req.Method, want)
	}
	if req, _ := (RequestSpec{URL: "https://h/"}).Request(); req.Method != "GET" {
		t.Errorf("an https request lost its default method: %q", req.Method)
	}
}
