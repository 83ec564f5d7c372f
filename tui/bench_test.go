package tui

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mtlswb/mtlswb/workspace"
)

// syntheticEntries makes n identities as List returns them; the keystore
// screens need nothing more to draw.
func syntheticEntries(n int) []workspace.Entry {
	out := make([]workspace.Entry, n)
	for i := range out {
		out[i] = workspace.Entry{
			Kind: workspace.KindIdentity, Name: fmt.Sprintf("svc-%06d", i), SubjectCN: fmt.Sprintf("service %d.internal.example", i),
			IssuerCN: "Team Issuing CA", NotBefore: fixedNow.AddDate(-1, 0, 0), NotAfter: fixedNow.AddDate(0, 0, i%400-20),
			KeyType: "ec-p256", HasKey: true, ClientAuth: i%7 != 0,
		}
	}
	return out
}

// loadedModel is a ready model showing n identities at 120x40, as after the
// workspace answered; no store, so no command touches a disk.
func loadedModel(n int) *model {
	m := New(Options{WorkspacePath: "unused", Now: func() time.Time { return fixedNow }}).(*model)
	m.sh.pollEvery = 0
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.state = stateReady
	m.Update(entriesLoadedMsg{entries: syntheticEntries(n)})
	return m
}

var benchSizes = []int{10_000, 100_000}

// BenchmarkFirstFrame: New, the size, the loaded entries and the first View.
func BenchmarkFirstFrame(b *testing.B) {
	for _, n := range benchSizes {
		entries := syntheticEntries(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				m := New(Options{WorkspacePath: "unused", Now: func() time.Time { return fixedNow }}).(*model)
				m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
				m.state = stateReady
				m.Update(entriesLoadedMsg{entries: entries})
				_ = m.View()
			}
		})
	}
}

func BenchmarkView(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			m := loadedModel(n)
			m.ids.list.move(n / 2)
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkKeyMove: one arrow key and the frame after it.
func BenchmarkKeyMove(b *testing.B) {
	down, up := keyMsg("down"), keyMsg("up")
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			m := loadedModel(n)
			i := 0
			for b.Loop() {
				k := down
				if i%200 >= 100 {
					k = up
				}
				i++
				m.Update(k)
				_ = m.View()
			}
		})
	}
}

// BenchmarkKeyFilter: one keystroke into the filter (alternately a
// character and a backspace) and the frame after it; every keystroke
// refilters all n rows.
func BenchmarkKeyFilter(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			m := loadedModel(n)
			m.Update(keyMsg("/"))
			m.Update(keyMsg("9"))
			add, del := keyMsg("7"), keyMsg("backspace")
			i := 0
			for b.Loop() {
				k := add
				if i%2 == 1 {
					k = del
				}
				i++
				m.Update(k)
				_ = m.View()
			}
		})
	}
}

// BenchmarkMemory reports the heap in use with n identities loaded.
func BenchmarkMemory(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var ms runtime.MemStats
			var m *model
			for b.Loop() {
				m = loadedModel(n)
			}
			runtime.GC()
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MiB-heap-inuse")
			runtime.KeepAlive(m)
		})
	}
}

// BenchmarkView200x60 draws one frame of each screen on a 200x60
// terminal with 10,000 identities and 5,000 attempts; a frame should take
// well under 2 ms.
func BenchmarkView200x60(b *testing.B) {
	m := New(Options{WorkspacePath: "unused", Now: func() time.Time { return fixedNow }}).(*model)
	m.sh.pollEvery = 0
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
	m.state = stateReady
	m.Update(entriesLoadedMsg{entries: syntheticEntries(10_000)})
	hist := make([]workspace.HistoryEntry, 5000)
	for i := range hist {
		hist[i] = workspace.HistoryEntry{ID: uint64(5000 - i), At: fixedNow, Method: "GET", URL: fmt.Sprintf("https://svc-%d.internal.example:8443/v1/orders", i),
			Identity: fmt.Sprintf("svc-%06d", i), OK: i%3 != 0, Status: 200, Category: "client-cert-unknown-ca"}
	}
	m.Update(historyLoadedMsg{entries: hist})
	rep := failureReport()
	states := []struct {
		name  string
		setup func()
	}{
		{"identities", func() { m.page = pageIdentities }},
		{"composer", func() { m.page = pageComposer }},
		{"history", func() { m.page = pageHistory }},
		{"verdict", func() { m.inspector.setReport(rep, workspace.RequestSpec{}, false); m.page = pageInspector }},
		{"response", func() {
			m.inspector.setReport(okReport(), workspace.RequestSpec{}, true)
			m.page = pageInspector
		}},
		{"help", func() { m.page = pageIdentities; m.showHelp = true }},
	}
	for _, s := range states {
		b.Run(s.name, func(b *testing.B) {
			m.showHelp = false
			s.setup()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}
