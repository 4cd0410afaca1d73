package suites

import (
	"fmt"
	"io"

	g "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"
)

// The console of `presencekit conform` is the suite's own, not Ginkgo's:
// Ginkgo's default reporter prints each failure as a block (location,
// timeline, the message again) and hints at ginkgo CLI flags conform does
// not have. Run silences it and prints, through the run's Redactor, one
// line per failed spec as it fails, then the summary. Under go test and
// the ginkgo CLI, Ginkgo's reporter stays (a developer's view).

// silenceGinkgo points Ginkgo's console reporter at nothing until the
// returned func restores it. Ginkgo reads the writer once, when RunSpecs
// starts, and a process runs the suite once, so this cannot race.
func silenceGinkgo() (restore func()) {
	prev := formatter.ColorableStdOut
	formatter.ColorableStdOut = io.Discard
	return func() { formatter.ColorableStdOut = prev }
}

// reportToConsole registers the nodes that print the run's first line
// (what runs against what) and a failed spec's line.
func reportToConsole(e *Env) {
	g.ReportBeforeSuite(func(r g.Report) {
		if e.console != nil {
			fmt.Fprintf(e.console, "running %d of %d specs against %s (org %s, app %s)\n", r.PreRunStats.SpecsThatWillRun,
				r.PreRunStats.TotalSpecs, e.Redactor.URL(e.Cfg.Target), e.Cfg.Org, e.Cfg.App)
		}
	})
	g.ReportAfterEach(func(sr g.SpecReport) {
		if e.console == nil || sr.LeafNodeType != types.NodeTypeIt || !sr.Failed() {
			return
		}
		labels := sr.Labels()
		fmt.Fprintln(e.console, FailureLine(sr.Failure.Message, blameOf(sr.ReportEntries, labels)))
	})
}

// selected reports how many specs Ginkgo will run after the label filter.
func selected(r types.Report) int { return r.PreRunStats.SpecsThatWillRun }
