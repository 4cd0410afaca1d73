package suites

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	g "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"
)

// Register declares every spec of the suite on Ginkgo's tree, bound to e.
// It must run before ginkgo.RunSpecs, once per process (a Ginkgo limit).
// The result is delivered to done once the suite has run, on the process
// that reports (process 1 under ginkgo -p).
func Register(e *Env, done func(*Result)) {
	describe(e)
	reportToConsole(e)
	g.ReportAfterSuite("presencekit conformance report", func(r g.Report) {
		res := e.result(r)
		if e.Cfg.ReportDir != "" {
			Expect(WriteHTML(filepath.Join(e.Cfg.ReportDir, "report.html"), res)).To(Succeed())
		}
		if done != nil {
			done(res)
		}
	})
}

// describe declares the specs, without the report node (a --concurrency
// parent only previews them).
func describe(e *Env) {
	g.Describe("Presence API", func() {
		registerThrottling(e)
		g.JustAfterEach(func() {
			if g.CurrentSpecReport().Failed() {
				if ex := e.LastExchange(); ex != "" {
					g.AddReportEntry(entryExchange, ex, g.ReportEntryVisibilityFailureOrVerbose)
				}
			}
		})
		describeAuth(e)
		describeErrors(e)
		describeSetStatus(e)
		describeSubscribe(e)
		describeGet(e)
		describeGroup(e)
		describeUnsubscribe(e)
		describeSublist(e)
		describeMutantGaps(e)
	})
}

// entryExchange is the report entry holding a failed spec's last exchange.
const entryExchange = "exchange"

// Configs returns Ginkgo's suite and reporter configuration for cfg:
// the label filter, and the JUnit and JSON reports in the report directory.
func Configs(cfg Config, base types.SuiteConfig, rep types.ReporterConfig) (types.SuiteConfig, types.ReporterConfig, error) {
	if cfg.LabelFilter != "" {
		base.LabelFilter = cfg.LabelFilter
	}
	if cfg.ReportDir != "" {
		if err := os.MkdirAll(cfg.ReportDir, 0o755); err != nil {
			return base, rep, fmt.Errorf("%w: report dir: %w", ErrConfig, err)
		}
		rep.JUnitReport = filepath.Join(cfg.ReportDir, "junit.xml")
		rep.JSONReport = filepath.Join(cfg.ReportDir, "report.json")
	}
	return base, rep, nil
}

// failRecorder is the GinkgoTestingT of a run outside go test.
type failRecorder struct{ failed bool }

func (f *failRecorder) Fail() { f.failed = true }

// RunSpecs registers the suite bound to e and runs it, reporting to t (a
// *testing.T, or a recorder outside go test), with Ginkgo's configuration
// base (from -ginkgo.* flags under go test) adjusted by e.Cfg. res is nil
// on the processes of ginkgo -p that do not report.
func RunSpecs(t g.GinkgoTestingT, e *Env, base types.SuiteConfig, rep types.ReporterConfig) (res *Result, err error) {
	base, rep, err = Configs(e.Cfg, base, rep)
	if err != nil {
		return nil, err
	}
	base.LabelFilter = notApplicableFilter(e.Doc, base.LabelFilter)
	Register(e, func(r *Result) { res = r })
	RegisterFailHandler(e.failOrSkip)
	g.RunSpecs(t, "presencekit conformance", base, rep)
	if res == nil {
		return nil, nil
	}
	if rep.JUnitReport != "" {
		// Ginkgo writes junit.xml after the suite's own report nodes.
		if err := addThrottleProperties(rep.JUnitReport, res.Throttle); err != nil {
			return res, fmt.Errorf("junit.xml: %w", err)
		}
	}
	if err := RedactReports(e.Cfg.ReportDir, e.Redactor, e.Cfg); err != nil {
		return res, err
	}
	if res.Selected == 0 {
		return res, selectsNothing(e.Cfg.LabelFilter)
	}
	return res, nil
}

// Run runs the suite against e's target and returns the result; the
// console gets Ginkgo's progress, then the failed-rules table and the
// closing count. With --concurrency above one and a spawn it runs the
// specs in worker processes side by side (parallel.go); otherwise in this
// process, which can run the suite once (Ginkgo).
func Run(ctx context.Context, e *Env, console io.Writer, noColor bool, spawn Spawn) (*Result, error) {
	if e.Cfg.Concurrency > 1 && spawn != nil {
		console = e.Redactor.Writer(console)
		res, err := runParallel(ctx, e, console, spawn)
		if res != nil {
			res.Summary(console)
		}
		return res, err
	}
	suiteCfg, repCfg := g.GinkgoConfiguration()
	repCfg.Succinct = true
	repCfg.NoColor = noColor
	suiteCfg.Timeout = time.Hour
	console = e.Redactor.Writer(console)
	e.console = console
	restore := silenceGinkgo()
	res, err := RunSpecs(&failRecorder{}, e, suiteCfg, repCfg)
	restore()
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, fmt.Errorf("the suite produced no report")
	}
	res.Summary(console)
	return res, nil
}
