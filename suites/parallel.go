package suites

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	g "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
	"golang.org/x/time/rate"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// --concurrency K runs the specs in K worker processes side by side.
//
// Ginkgo runs one suite per process, serially, and its parallel mode needs
// the ginkgo CLI's server, which is internal to the ginkgo module (see
// onsi/ginkgo issues 1451 and 1529: the maintainers' advice is to
// orchestrate processes and read their JSON reports). So the parent
// has a worker preview the specs (ginkgo.PreviewSpecs; the parent itself
// never touches Ginkgo's global suite, so it can run again), splits those the label filter
// selects into K groups of about equal work (an Ordered container stays
// whole), re-executes its own binary once per group with a focus on that
// group, then runs the Serial specs (those moving the virtual clock, the
// rate-limit burst) alone, and merges the workers' Ginkgo reports into one
// Result and one set of report files. Workers share the parent's rate
// budget through a loopback pacer, so --rate holds over the whole run.
// Specs never share a user (Env.User; each worker has its own prefix), so
// the groups cannot disturb each other.

// suiteDescription is the Ginkgo suite's name; focus regexps start with it.
const suiteDescription = "presencekit conformance"

// Spawn makes the command that runs one worker: this program, re-executed
// so that it calls RunWorker with the job on its stdin.
type Spawn func(ctx context.Context) *exec.Cmd

// workerJob is what a worker is told, on its stdin (never argv or the
// environment, since the configuration holds secrets).
type workerJob struct {
	Config Config
	Focus  []string // full texts of the specs to run
	Pacer  string   // URL of the parent's pacer; "" unpaced
	Report string   // where to write the Ginkgo JSON report
	Name   string   // for the console, e.g. "group 2 of 4"
	// Preview asks for the spec tree only (ginkgo.PreviewSpecs), written
	// as the report; nothing is sent.
	Preview bool
	// Clock is what the parent's start-up found about the target's clock:
	// workers neither probe the target again nor look for the clock.
	Clock clockState
}

// clockState is an Env's knowledge of the target's clock.
type clockState struct{ Virtual, Movable bool }

// group is one worker's share of the specs.
type group struct {
	texts  []string
	weight int
}

// planned is the unit a group is made of: a spec, or a whole Ordered
// container.
type planned struct {
	texts  []string
	weight int
	serial bool
}

// partition splits the specs that will run into k groups of about equal
// weight (largest first, each to the lightest group) and the Serial ones.
func partition(specs []types.SpecReport, k int, weight func(types.SpecReport) int) (groups []group, serial []string) {
	var units []*planned
	ordered := map[string]*planned{}
	for _, sr := range specs {
		w := weight(sr)
		if sr.IsInOrderedContainer {
			key := strings.Join(sr.ContainerHierarchyTexts, "\x00")
			if u := ordered[key]; u != nil {
				u.texts = append(u.texts, sr.FullText())
				u.weight += w
				u.serial = u.serial || sr.IsSerial
				continue
			}
			u := &planned{texts: []string{sr.FullText()}, weight: w, serial: sr.IsSerial}
			ordered[key] = u
			units = append(units, u)
			continue
		}
		units = append(units, &planned{texts: []string{sr.FullText()}, weight: w, serial: sr.IsSerial})
	}
	var parallel []*planned
	for _, u := range units {
		if u.serial {
			serial = append(serial, u.texts...)
		} else {
			parallel = append(parallel, u)
		}
	}
	slices.SortStableFunc(parallel, func(a, b *planned) int { return b.weight - a.weight })
	groups = make([]group, min(k, len(parallel)))
	for _, u := range parallel {
		lightest := 0
		for i := range groups {
			if groups[i].weight < groups[lightest].weight {
				lightest = i
			}
		}
		groups[lightest].texts = append(groups[lightest].texts, u.texts...)
		groups[lightest].weight += u.weight
	}
	return groups, serial
}

// specWeight estimates a spec's sequential round trips, in tenths: most
// specs make one or two (1.6 on average in a run against a 150 ms-latency
// mock); SUB-CAP fills a subscriber to --max-subscriptions in batches
// (fanOutLimit at once), pages through them and removes them again, and
// its requests carry a hundred users each, which costs about a tenth more
// per round trip.
func (e *Env) specWeight(sr types.SpecReport) int {
	if slices.Contains(sr.Labels(), RuleLabel(spec.RuleSubCap)) {
		batches := e.Cfg.MaxSubs/max(e.Limits.SubscribeMaxUsers, 1) + 1
		trips := 3 + 2*batches/fanOutLimit + e.Cfg.MaxSubs/max(e.Limits.PageSizeMax, 1) + 1
		return 11 * trips
	}
	return 16
}

// focusOn is a Ginkgo focus regexp selecting exactly the given specs.
func focusOn(texts []string) string {
	quoted := make([]string, len(texts))
	for i, t := range texts {
		quoted[i] = regexp.QuoteMeta(t)
	}
	return "^" + regexp.QuoteMeta(suiteDescription) + " (?:" + strings.Join(quoted, "|") + ")$"
}

// runParallel is Run for --concurrency above one.
func runParallel(ctx context.Context, e *Env, console io.Writer, spawn Spawn) (*Result, error) {
	filter := func([]string) bool { return true }
	// The profile's not-applicable rules are left out as a one-process
	// run leaves them out (Configs).
	if lf := notApplicableFilter(e.Doc, e.Cfg.LabelFilter); lf != "" {
		f, err := types.ParseLabelFilter(lf)
		if err != nil {
			return nil, fmt.Errorf("%w: --label-filter: %w", ErrConfig, err)
		}
		filter = f
	}
	dir, err := os.MkdirTemp("", "presencekit-conform-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	started := time.Now()
	clock := clockState{Virtual: e.virtual, Movable: e.movable}
	preview, err := runWorker(ctx, spawn, workerJob{Config: e.Cfg, Preview: true, Name: "preview",
		Report: filepath.Join(dir, "preview.json"), Clock: clock})
	if err != nil {
		return nil, err
	}
	var selected, filtered []types.SpecReport
	for _, sr := range preview.SpecReports {
		switch {
		case sr.LeafNodeType != types.NodeTypeIt:
		case filter(sr.Labels()):
			selected = append(selected, sr)
		default:
			sr.State = types.SpecStateSkipped
			filtered = append(filtered, sr)
		}
	}
	if len(selected) == 0 {
		return nil, fmt.Errorf("%w: --label-filter %q selects no spec", ErrConfig, e.Cfg.LabelFilter)
	}
	groups, serial := partition(selected, e.Cfg.Concurrency, e.specWeight)
	pacer := ""
	if e.Cfg.Rate > 0 {
		url, stop, err := servePacer(rate.NewLimiter(rate.Limit(e.Cfg.Rate), 1))
		if err != nil {
			return nil, err
		}
		defer stop()
		pacer = url
	}
	fmt.Fprintf(console, "running %d of %d specs against %s (org %s, app %s)\n", len(selected), len(selected)+len(filtered),
		e.Redactor.URL(e.Cfg.Target), e.Cfg.Org, e.Cfg.App)
	fmt.Fprintf(console, "conform: %d specs in %d groups side by side, then %d serial specs\n", len(selected), len(groups), len(serial))
	job := func(i int, name string, texts []string) workerJob {
		cfg := e.Cfg
		cfg.UserPrefix += "-w" + strconv.Itoa(i)
		return workerJob{Config: cfg, Focus: texts, Pacer: pacer, Name: name,
			Report: filepath.Join(dir, "worker"+strconv.Itoa(i)+".json"), Clock: clock}
	}
	jobs := make([]workerJob, len(groups))
	for i, gr := range groups {
		jobs[i] = job(i+1, fmt.Sprintf("group %d of %d", i+1, len(groups)), gr.texts)
	}
	reports := make([]types.Report, 0, len(groups)+1)
	if err := runWorkers(ctx, spawn, jobs, &reports, console); err != nil {
		return nil, err
	}
	if len(serial) > 0 && ctx.Err() == nil {
		if err := runWorkers(ctx, spawn, []workerJob{job(len(groups)+1, "serial specs", serial)}, &reports, console); err != nil {
			return nil, err
		}
	}
	merged := mergeReports(preview, reports, filtered, started)
	res := e.result(merged)
	if err := writeReports(e.Cfg, merged, res); err != nil {
		return res, err
	}
	if err := RedactReports(e.Cfg.ReportDir, e.Redactor, e.Cfg); err != nil {
		return res, err
	}
	if ctx.Err() != nil {
		// Interrupted: the reports hold what ran; the serial specs did not.
		return res, fmt.Errorf("%w: %w", ErrInterrupted, ctx.Err())
	}
	return res, nil
}

// ErrInterrupted means the run was cut short; its result and reports hold
// the specs that ran.
var ErrInterrupted = errors.New("interrupted")

// runWorkers runs one worker per job at once and collects their reports.
func runWorkers(ctx context.Context, spawn Spawn, jobs []workerJob, reports *[]types.Report, console io.Writer) error {
	errs := make([]error, len(jobs))
	out := make([]types.Report, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = runWorker(ctx, spawn, j)
		}()
	}
	wg.Wait()
	for i, r := range out {
		if errs[i] != nil {
			return errs[i]
		}
		// A worker reports every spec; those outside its focus are
		// another worker's.
		mine := map[string]bool{}
		for _, t := range jobs[i].Focus {
			mine[t] = true
		}
		failed := 0
		kept := r.SpecReports[:0:0]
		for _, sr := range r.SpecReports {
			if sr.LeafNodeType == types.NodeTypeIt && !mine[sr.FullText()] {
				continue
			}
			if sr.LeafNodeType != types.NodeTypeIt && !sr.State.Is(types.SpecStateFailureStates) {
				continue // suite-level nodes that went well
			}
			if sr.State.Is(types.SpecStateFailureStates) {
				failed++
			}
			kept = append(kept, sr)
		}
		r.SpecReports = kept
		fmt.Fprintf(console, "  %s: %d specs, %d failed, %s\n", jobs[i].Name, len(kept), failed, r.RunTime.Round(time.Millisecond))
		// The one line per failed spec a one-process run prints as it
		// fails (console.go); console masks secrets.
		for _, sr := range kept {
			if sr.LeafNodeType == types.NodeTypeIt && sr.State.Is(types.SpecStateFailureStates) {
				fmt.Fprintln(console, FailureLine(sr.Failure.Message, blameOf(sr.ReportEntries, sr.Labels())))
			}
		}
		*reports = append(*reports, r)
	}
	return nil
}

// runWorker runs one worker process and reads its report.
func runWorker(ctx context.Context, spawn Spawn, j workerJob) (types.Report, error) {
	in, err := json.Marshal(j)
	if err != nil {
		return types.Report{}, err
	}
	cmd := spawn(ctx)
	cmd.Stdin = bytes.NewReader(in)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	runErr := cmd.Run()
	data, err := os.ReadFile(j.Report)
	if err != nil {
		// Its output is shown, with the run's secrets masked.
		red := client.NewRedactor(j.Config.Token, j.Config.ClientSecret, j.Config.AdminToken)
		return types.Report{}, fmt.Errorf("conform worker (%s) produced no report (%v): %s", j.Name, runErr,
			red.String(lastLines(output.String(), 8)))
	}
	var rs []types.Report
	if err := json.Unmarshal(data, &rs); err != nil || len(rs) != 1 {
		return types.Report{}, fmt.Errorf("a conform worker's report does not parse: %v", err)
	}
	return rs[0], nil
}

// mergeReports joins the workers' reports into one, as if one process had
// run every spec: each worker's focused specs, and the specs the label
// filter left out, as skipped.
func mergeReports(preview types.Report, parts []types.Report, filtered []types.SpecReport, started time.Time) types.Report {
	m := preview
	m.SpecReports = nil
	m.StartTime, m.EndTime = started, time.Now()
	m.RunTime = m.EndTime.Sub(started)
	m.SuiteSucceeded = true
	m.SpecialSuiteFailureReasons = nil
	m.SuiteConfig.DryRun = false
	for _, p := range parts {
		m.SuiteSucceeded = m.SuiteSucceeded && p.SuiteSucceeded
		m.SpecialSuiteFailureReasons = append(m.SpecialSuiteFailureReasons, p.SpecialSuiteFailureReasons...)
		m.SpecReports = append(m.SpecReports, p.SpecReports...)
	}
	m.SpecReports = append(m.SpecReports, filtered...)
	m.PreRunStats.SpecsThatWillRun = len(m.SpecReports) - len(filtered)
	return m
}

// writeReports writes what Ginkgo and Register write after a one-process
// run: junit.xml, report.json and report.html in the report directory.
func writeReports(cfg Config, r types.Report, res *Result) error {
	if cfg.ReportDir == "" {
		return nil
	}
	if err := os.MkdirAll(cfg.ReportDir, 0o755); err != nil {
		return fmt.Errorf("%w: report dir: %w", ErrConfig, err)
	}
	junit := filepath.Join(cfg.ReportDir, "junit.xml")
	return errors.Join(
		reporters.GenerateJSONReport(r, filepath.Join(cfg.ReportDir, "report.json")),
		reporters.GenerateJUnitReport(r, junit),
		addThrottleProperties(junit, res.Throttle),
		WriteHTML(filepath.Join(cfg.ReportDir, "report.html"), res),
	)
}

// servePacer serves l on a loopback port: GET waits for a token, so the
// workers of one run share one budget.
func servePacer(l *rate.Limiter) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("pacer: %w", err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		// The worker's deadline, so a wait that would outlive it is
		// refused at once, as a local limiter does.
		if n, err := strconv.ParseInt(r.URL.Query().Get("deadline"), 10, 64); err == nil {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, time.Unix(0, n))
			defer cancel()
		}
		if err := l.Wait(ctx); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/pace", func() { _ = srv.Close() }, nil
}

// remotePacer waits on a parent's pacer.
type remotePacer struct {
	url string
	hc  *http.Client
}

// Wait asks the parent for a token.
func (p remotePacer) Wait(ctx context.Context) error {
	u := p.url
	if d, ok := ctx.Deadline(); ok {
		u += "?deadline=" + strconv.FormatInt(d.UnixNano(), 10)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("the conform parent's pacer answered %d", resp.StatusCode)
	}
	return nil
}

// RunWorker is a worker process of a --concurrency run: it reads its job
// from in, runs its focused specs (Ginkgo's progress goes to stdout, which
// the parent keeps for an error message), writes their Ginkgo JSON report
// and returns. Spec failures are the parent's to judge; an error means the
// worker could not run.
func RunWorker(ctx context.Context, in io.Reader, load func(profile string) (*spec.Doc, error)) error {
	var j workerJob
	if err := json.NewDecoder(in).Decode(&j); err != nil {
		return fmt.Errorf("conform worker: job: %w", err)
	}
	// The worker judges by the run's profile, as the parent does.
	doc, err := load(j.Config.Profile)
	if err != nil {
		return fmt.Errorf("conform worker: %w", err)
	}
	if (len(j.Focus) == 0 && !j.Preview) || j.Report == "" {
		return errors.New("conform worker: empty job")
	}
	cfg := j.Config
	cfg.ReportDir = "" // the parent writes the reports
	var extra []client.Option
	if j.Pacer != "" {
		extra = append(extra, client.WithPacer(remotePacer{url: j.Pacer, hc: &http.Client{}}))
		cfg.Rate = 0 // no second, local budget
	}
	e, err := newEnv(cfg, doc, extra...)
	if err != nil {
		return err
	}
	e.virtual, e.movable = j.Clock.Virtual, j.Clock.Movable
	if !j.Preview {
		e.learnToken(ctx)
	}
	e.Cfg.Rate = j.Config.Rate
	if j.Preview {
		describe(e)
		return reporters.GenerateJSONReport(g.PreviewSpecs(suiteDescription), j.Report)
	}
	suiteCfg, repCfg := g.GinkgoConfiguration()
	suiteCfg.FocusStrings = []string{focusOn(j.Focus)}
	suiteCfg.Timeout = time.Hour
	repCfg.Succinct, repCfg.NoColor = true, true
	repCfg.JSONReport = j.Report
	_, err = RunSpecs(&failRecorder{}, e, suiteCfg, repCfg)
	return err
}

// lastLines is the tail of a worker's output, for an error message.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
