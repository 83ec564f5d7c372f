package tlsengine

// Confidence says how sure a diagnosis is of one cause.
type Confidence string

const (
	// Certain: the evidence names the cause (an alert with a specific
	// reason, a typed local error, a server's own error page).
	Certain Confidence = "certain"
	// Likely: the evidence points to the cause but has other readings (a
	// local check explains a rejection the server gave no reason for).
	Likely Confidence = "likely"
	// Possible: worth checking; the evidence does not single it out.
	Possible Confidence = "possible"
)

// rank orders confidences, surest first.
func (c Confidence) rank() int {
	switch c {
	case Certain:
		return 0
	case Likely:
		return 1
	}
	return 2
}

// Cause is one explanation of a failure, with how sure the diagnosis is of
// it and the evidence for it. Failure.Causes lists them best first; the
// first is the Failure's own category, summary, detail and hints.
type Cause struct {
	Category   Category   `json:"category"`
	Confidence Confidence `json:"confidence"`
	// Evidence is one sentence saying what shows this cause ("the server
	// sent TLS alert 48 (unknown_ca)", "local check: identity `joe` expired
	// at ... (3 days ago)").
	Evidence string `json:"evidence"`

	// The explanation the Failure takes when this cause ranks first. phase
	// is empty when the cause keeps the phase the attempt stopped in.
	phase   Phase
	summary string
	detail  string
	hints   []string
	// rule names the rule that proposed the cause, for tests and debugging.
	rule string
}
