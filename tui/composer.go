package tui

import (
	"context"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/tlsengine"
	"github.com/mtlswb/mtlswb/tlsengine/safetext"
	"github.com/mtlswb/mtlswb/workspace"
)

type cField int

const (
	cfMethod cField = iota
	cfURL
	cfHeaders
	cfBody
	cfUser // the protocol fields (composer_protocol.go)
	cfDatabase
	cfClientID
	cfGRPCMethod
	cfSASL
	cfIdentity
	cfTrust
	cfSNI
	cfTLSMin
	cfTLSMax
	cfInsecure
	cfTimeout
	cfCount
)

var (
	methods     = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
	tlsVersions = []string{"default", "1.2", "1.3"}
)

// composerScreen edits one request.
type composerScreen struct {
	sh *shared
	km composerKeys

	focus   cField
	editing bool

	method   textinput.Model
	url      textinput.Model
	headers  textarea.Model
	body     textarea.Model
	sni      textinput.Model
	timeout  textinput.Model
	tlsMin   int
	tlsMax   int
	insecure bool
	proto    protoFields

	identity    string
	systemRoots bool
	cas         map[string]bool

	idents   []workspace.Entry
	caList   []workspace.Entry
	verdicts map[string]tlsengine.IdentityVerdict

	// profiles feed the live "which" line; profilesStale asks for them
	// again after the workspace changed.
	profiles      workspace.ProfileSet
	profilesStale bool
	which         whichCache

	// asSent shows the request as it will be sent instead of the form.
	asSent bool

	picking pickMode
	pick    winList
	filter  textinput.Model

	// loadedName is the saved request the form came from; clean is the
	// form as last loaded or saved, to tell unsaved edits.
	loadedName string
	clean      string
	savedNames map[string]bool
	pending    pendingSave

	sending bool
	probe   bool
	reqID   int
	cancel  context.CancelFunc
	started time.Time
	spin    spinner.Model

	w, h int
}

func newComposerScreen(sh *shared) *composerScreen {
	s := &composerScreen{sh: sh, km: newComposerKeys(), profilesStale: true}
	st := &sh.styles
	s.method = newInput(st, "GET")
	s.method.CharLimit = 32
	s.url = newInput(st, "https://localhost:8443/")
	s.sni = newInput(st, "default: the URL's host")
	s.timeout = newInput(st, defaultTimeout)
	s.headers = newArea(st, "Name: value, one per line")
	s.body = newArea(st, "request body")
	s.proto = newProtoFields(st)
	s.filter = textinput.New()
	s.filter.Prompt = "/ "
	themeInput(&s.filter, &sh.styles)
	s.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	s.reset()
	return s
}

func newInput(st *styles, text string) textinput.Model {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = placeholder(st, text)
	in.CharLimit = 8192
	themeInput(&in, st)
	return in
}

func newArea(st *styles, text string) textarea.Model {
	a := textarea.New()
	a.Prompt = ""
	a.Placeholder = placeholder(st, text)
	a.ShowLineNumbers = false
	a.CharLimit = 1 << 20
	// ctrl+p is our probe key; the arrows still move between lines.
	a.KeyMap.LinePrevious = key.NewBinding(key.WithKeys("up"))
	themeArea(&a, st)
	return a
}

// defaultTimeout is the form's timeout until the user changes it.
const defaultTimeout = "10s"

// reset starts a new request: GET, system roots trusted, nothing else.
func (s *composerScreen) reset() {
	s.method.SetValue(methods[0])
	s.url.SetValue("")
	s.headers.SetValue("")
	s.body.SetValue("")
	s.sni.SetValue("")
	s.timeout.SetValue(defaultTimeout)
	s.tlsMin, s.tlsMax = 0, 0
	s.insecure = false
	s.proto.reset()
	s.identity = ""
	s.systemRoots = true
	s.cas = map[string]bool{}
	s.verdicts = nil
	s.focus = cfURL
	s.editing = true
	s.asSent = false
	s.loadedName = ""
	s.markClean()
}

func (s *composerScreen) typing() bool { return s.editing || s.picking != pickNone }

func (s *composerScreen) setSize(w, h int) {
	s.w, s.h = w, h
	fw := max(w-13, 10)
	s.url.SetWidth(fw)
	s.sni.SetWidth(fw)
	s.timeout.SetWidth(12)
	// Headers and body grow with the terminal, sharing what the one-line
	// fields and the pre-flight leave (about 17 lines); below about 22
	// rows the form scrolls to the field in focus instead.
	hh := min(max(2+(h-21)/4, 2), 10)
	s.headers.SetWidth(fw)
	s.headers.SetHeight(hh)
	s.body.SetWidth(fw)
	s.proto.setWidth(fw)
	s.body.SetHeight(max(3, h-17-hh))
	s.pick.setSize(w, h-3)
}

func (s *composerScreen) setEntries(all []workspace.Entry) {
	s.idents, s.caList = make([]workspace.Entry, 0, len(all)), s.caList[:0]
	for _, e := range all {
		switch e.Kind {
		case workspace.KindIdentity:
			s.idents = append(s.idents, e)
		case workspace.KindCA:
			s.caList = append(s.caList, e)
		}
	}
	s.profilesStale = true
	// A record renamed or removed by the CLI drops out of the request. The
	// name set is built only when something needs checking: with 100k
	// entries it would cost more than the rest of the reload.
	if specialIdentity(s.identity) && len(s.cas) == 0 {
		return
	}
	names := make(map[string]bool, len(s.cas)+1)
	for _, e := range all {
		if e.Name == s.identity || s.cas[e.Name] {
			names[e.Name] = true
		}
	}
	if !specialIdentity(s.identity) && !names[s.identity] {
		s.sh.host.setInfo("identity " + safetext.Line(s.identity) + " is no longer in the workspace")
		s.identity = ""
	}
	for n := range s.cas {
		if !names[n] {
			delete(s.cas, n)
		}
	}
}

// loadSpec fills the form with spec; name is the saved request it came
// from ("" for an attempt), which a save then offers.
func (s *composerScreen) loadSpec(spec workspace.RequestSpec, name string) {
	s.reset()
	if m := strings.ToUpper(strings.TrimSpace(spec.Method)); m != "" {
		s.method.SetValue(m)
	}
	s.url.SetValue(spec.URL)
	s.headers.SetValue(strings.Join(spec.Headers, "\n"))
	s.body.SetValue(spec.Body)
	s.sni.SetValue(spec.ServerName)
	if spec.Timeout != "" {
		s.timeout.SetValue(spec.Timeout)
	}
	s.tlsMin, s.tlsMax = versionIndex(spec.TLSMin), versionIndex(spec.TLSMax)
	s.insecure = spec.Insecure
	s.proto.load(spec)
	s.identity = spec.Identity
	if spec.Identity == "auto" {
		s.identity = identityAuto
	}
	s.systemRoots = spec.SystemRoots
	for _, c := range spec.CAs {
		s.cas[c] = true
	}
	s.stopTyping()
	s.loadedName = name
	s.markClean()
}

func versionIndex(v string) int {
	for i, t := range tlsVersions {
		if t == v {
			return i
		}
	}
	return 0
}

// spec is the request the form describes.
func (s *composerScreen) spec(probe bool) workspace.RequestSpec {
	sp := workspace.RequestSpec{
		Method:      s.methodName(),
		URL:         strings.TrimSpace(s.url.Value()),
		Body:        s.body.Value(),
		Probe:       probe,
		Identity:    s.identity,
		SystemRoots: s.systemRoots,
		ServerName:  strings.TrimSpace(s.sni.Value()),
		Insecure:    s.insecure,
		Timeout:     strings.TrimSpace(s.timeout.Value()),
	}
	for _, h := range strings.Split(s.headers.Value(), "\n") {
		if h = strings.TrimSpace(h); h != "" {
			sp.Headers = append(sp.Headers, h)
		}
	}
	for _, c := range s.caList {
		if s.cas[c.Name] {
			sp.CAs = append(sp.CAs, c.Name)
		}
	}
	if s.tlsMin > 0 {
		sp.TLSMin = tlsVersions[s.tlsMin]
	}
	if s.tlsMax > 0 {
		sp.TLSMax = tlsVersions[s.tlsMax]
	}
	switch s.identity {
	case identityNone:
		sp.Identity = ""
	case identityAuto:
		sp.Identity = "auto"
	}
	s.proto.apply(&sp)
	return sp
}

func (s *composerScreen) focusCmd() tea.Cmd {
	if s.editing {
		return s.focusInput()
	}
	return nil
}

// isText reports whether f is typed into as soon as it has the focus.
func (s *composerScreen) isText(f cField) bool {
	switch f {
	case cfURL, cfHeaders, cfBody, cfSNI, cfTimeout:
		return true
	}
	return s.proto.input(f) != nil
}

// editable reports whether enter on f types into it: the text fields, and
// the method, which cycles the usual ones with ←/→ but takes any token
// typed (PROPFIND, PURGE…).
func (s *composerScreen) editable(f cField) bool { return s.isText(f) || f == cfMethod }

// methodName is the method typed or chosen; GET when left empty.
func (s *composerScreen) methodName() string {
	if m := strings.ToUpper(strings.TrimSpace(s.method.Value())); m != "" {
		return m
	}
	return methods[0]
}

func (s *composerScreen) blurAll() {
	s.method.Blur()
	s.url.Blur()
	s.headers.Blur()
	s.body.Blur()
	s.sni.Blur()
	s.timeout.Blur()
	s.proto.blur()
}

func (s *composerScreen) focusInput() tea.Cmd {
	s.blurAll()
	switch s.focus {
	case cfMethod:
		s.method.CursorEnd()
		return s.method.Focus()
	case cfURL:
		return s.url.Focus()
	case cfHeaders:
		return s.headers.Focus()
	case cfBody:
		return s.body.Focus()
	case cfSNI:
		return s.sni.Focus()
	case cfTimeout:
		return s.timeout.Focus()
	}
	if in := s.proto.input(s.focus); in != nil {
		return in.Focus()
	}
	return nil
}

func (s *composerScreen) moveFocus(d int) tea.Cmd {
	s.focus = cField((int(s.focus) + d + int(cfCount)) % int(cfCount))
	for !s.shown(s.focus) {
		s.focus = cField((int(s.focus) + d + int(cfCount)) % int(cfCount))
	}
	s.editing = s.isText(s.focus)
	if s.editing {
		return s.focusInput()
	}
	s.blurAll()
	return nil
}

// takeAnswer takes the answers of commands the composer started, whichever
// screen shows; handled is false for any other message.
func (s *composerScreen) takeAnswer(msg tea.Msg) (cmd tea.Cmd, handled bool) {
	switch msg := msg.(type) {
	case profilesLoadedMsg:
		s.setProfiles(msg)
		return nil, true
	case planDecidedMsg:
		return s.decided(msg), true
	}
	return nil, false
}

// spinTick turns the spinner while a request runs and lets it stop after.
func (s *composerScreen) spinTick(t spinner.TickMsg) tea.Cmd {
	if !s.sending {
		return nil
	}
	var c tea.Cmd
	s.spin, c = s.spin.Update(t)
	return c
}

// updateBackground keeps the spinner turning while another screen shows,
// and takes the answers of commands the composer started.
func (s *composerScreen) updateBackground(msg tea.Msg) tea.Cmd {
	if c, ok := s.takeAnswer(msg); ok {
		return c
	}
	if t, ok := msg.(spinner.TickMsg); ok {
		return s.spinTick(t)
	}
	return nil
}

func (s *composerScreen) update(msg tea.Msg) tea.Cmd {
	if c, ok := s.takeAnswer(msg); ok {
		return c
	}
	return tea.Batch(s.loadProfiles(), s.updateForm(msg))
}

func (s *composerScreen) updateInput(msg tea.Msg) tea.Cmd {
	var c tea.Cmd
	switch s.focus {
	case cfMethod:
		s.method, c = s.method.Update(msg)
	case cfURL:
		was := targetOf(s.url.Value())
		s.url, c = s.url.Update(msg)
		if targetOf(s.url.Value()) != was {
			// What a server accepted says nothing about another server.
			s.verdicts = nil
		}
	case cfHeaders:
		s.headers, c = s.headers.Update(msg)
	case cfBody:
		s.body, c = s.body.Update(msg)
	case cfSNI:
		s.sni, c = s.sni.Update(msg)
	case cfTimeout:
		s.timeout, c = s.timeout.Update(msg)
	default:
		if in := s.proto.input(s.focus); in != nil {
			*in, c = in.Update(msg)
		}
	}
	if s.picking != pickNone {
		s.filter, c = s.filter.Update(msg)
	}
	return c
}

func (s *composerScreen) cycle(d int) {
	switch s.focus {
	case cfMethod:
		cur := slices.Index(methods, s.methodName()) // -1 for a typed method: → starts at GET
		if cur < 0 && d < 0 {
			cur = 0
		}
		s.method.SetValue(methods[(cur+d+len(methods))%len(methods)])
	case cfTLSMin:
		s.tlsMin = (s.tlsMin + d + len(tlsVersions)) % len(tlsVersions)
	case cfTLSMax:
		s.tlsMax = (s.tlsMax + d + len(tlsVersions)) % len(tlsVersions)
	case cfInsecure:
		s.insecure = !s.insecure
	case cfSASL:
		s.proto.saslExternal = !s.proto.saslExternal
	case cfTrust:
		s.systemRoots = !s.systemRoots
	case cfIdentity:
		// The special choices come last, so → from the default reaches
		// the first identity.
		names := append(append([]string{identityByProfile}, s.identNames()...), identityNone, identityAuto)
		cur := 0
		for i, n := range names {
			if n == s.identity {
				cur = i
			}
		}
		s.identity = names[(cur+d+len(names))%len(names)]
	}
}

func (s *composerScreen) identNames() []string {
	out := make([]string, len(s.idents))
	for i, e := range s.idents {
		out[i] = e.Name
	}
	return out
}

// targetOf is the host:port a URL (or a bare host:port) reaches.
func targetOf(raw string) string {
	h, p := hostPort(raw)
	return strings.ToLower(h) + ":" + p
}

// restyle gives the inputs the theme the background asked for.
func (s *composerScreen) restyle() {
	st := &s.sh.styles
	for _, in := range []*textinput.Model{&s.method, &s.url, &s.sni, &s.timeout, &s.filter} {
		themeInput(in, st)
	}
	s.proto.each(func(in *textinput.Model) { themeInput(in, st) })
	themeArea(&s.headers, st)
	themeArea(&s.body, st)
}
