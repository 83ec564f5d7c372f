package workspace

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestSummaryRoundTrip(t *testing.T) {
	tests := map[string]Entry{
		"full": {
			Kind: KindIdentity, Name: "joe", SubjectCN: "joe", IssuerCN: "Dev Root",
			NotBefore: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), NotAfter: time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC),
			KeyType: "ec-p256", SHA256: "ab12", HasKey: true, ClientAuth: true, SelfSigned: true,
			Labels: []string{"prod", "eu"}, Source: "joe.p12", Added: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC),
		},
		"minimal CA":          {Kind: KindCA, Name: "r"},
		"year 9999 not after": {Kind: KindCA, Name: "r", NotAfter: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		"before 1970":         {Kind: KindCA, Name: "r", NotBefore: time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)},
		"unicode":             {Kind: KindIdentity, Name: "jörg", SubjectCN: "Jörg Müller 日本"},
	}
	for name, e := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseSummary(appendSummary(nil, &e))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, e) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, e)
			}
		})
	}
}

func TestSummaryRejectsDamage(t *testing.T) {
	full := appendSummary(nil, &Entry{Kind: KindIdentity, Name: "joe", SubjectCN: "joe", Labels: []string{"a"}})
	tests := map[string][]byte{
		"empty":              {},
		"huge string length": {0xff, 0xff, 0xff, 0xff, 0x0f},
		"cut in a string":    full[:5],
		"bad kind":           appendSummary(nil, &Entry{Kind: "server", Name: "x"}),
		"no name":            appendSummary(nil, &Entry{Kind: KindCA}),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := parseSummary(b); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("parseSummary = %v, want ErrCorrupt", err)
			}
		})
	}
}

// FuzzRecord feeds damaged records to the decoders: they must fail with an
// error, never panic or allocate without bound.
func FuzzRecord(f *testing.F) {
	e := Entry{Kind: KindIdentity, Name: "joe", SubjectCN: "joe", Labels: []string{"a"}, NotAfter: time.Now()}
	f.Add(encodeEntry(&e))
	f.Add([]byte{summaryFormat, 0})
	f.Add([]byte(`{"chain":["AQID"],"key":"BAU="}`))
	f.Fuzz(func(t *testing.T, v []byte) {
		decodeEntry(v)
		decodeBody("fuzz", v)
	})
}
