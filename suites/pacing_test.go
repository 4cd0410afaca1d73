package suites

import (
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
	"golang.org/x/time/rate"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

func resolve(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	b := Bind(fs)
	if err := fs.Parse(args); err != nil {
		return Config{}, errors.Join(ErrConfig, err)
	}
	return b.Resolve(func(k string) string { return env[k] })
}

func TestPacingDefaultsDependOnTheTarget(t *testing.T) {
	cases := []struct {
		name        string
		args        []string
		env         map[string]string
		rate        float64
		concurrency int
	}{
		{"a target", []string{"--target", "https://t"}, nil, DefaultRate, DefaultConcurrency},
		{"the embedded mock", nil, nil, 0, 1},
		{"the embedded mock, --rate given", []string{"--rate", "7.5"}, nil, 7.5, 1},
		{"the embedded mock, concurrency from the environment", nil, map[string]string{"PRESENCE_CONCURRENCY": "3"}, 0, 3},
		{"a target, unpaced on purpose", []string{"--target", "https://t", "--rate", "0"}, nil, 0, DefaultConcurrency},
	}
	for _, c := range cases {
		cfg, err := resolve(t, c.args, c.env)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if cfg.Rate != c.rate || cfg.Concurrency != c.concurrency {
			t.Errorf("%s: rate %v, concurrency %d; want %v, %d", c.name, cfg.Rate, cfg.Concurrency, c.rate, c.concurrency)
		}
		if cfg.RetryTries != DefaultRetryMaxTries || cfg.RetryMaxWait != DefaultRetryMaxWait || !slices.Equal(cfg.RateCodes, []string{client.CodeReachLimit}) {
			t.Errorf("%s: retry defaults %d, %s, %v", c.name, cfg.RetryTries, cfg.RetryMaxWait, cfg.RateCodes)
		}
	}
}

func TestPacingFromAYAMLFileIsExplicit(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte("rate: 5\nrate_limit_codes: [reach_limit, too_busy]\nretry_max_wait: 2s\nbusy_statuses: [503, 502]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := resolve(t, []string{"--config", file}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Rate != 5 || cfg.RetryMaxWait != 2*time.Second || !slices.Equal(cfg.RateCodes, []string{"reach_limit", "too_busy"}) ||
		!slices.Equal(cfg.BusyStatuses, []int{503, 502}) {
		t.Errorf("from the file: rate %v, wait %s, codes %v, busy statuses %v", cfg.Rate, cfg.RetryMaxWait, cfg.RateCodes, cfg.BusyStatuses)
	}
}

func TestPacingRefusals(t *testing.T) {
	for _, args := range [][]string{
		{"--rate", "-5"}, {"--rate", "fast"}, {"--rate", "NaN"}, {"--rate", "+Inf"},
		{"--concurrency", "0"}, {"--concurrency", "-3"},
		{"--retry-max-wait", "0s"}, {"--retry-max-wait", "-1s"},
		{"--retry-max-tries", "0"}, {"--retry-max-tries", "-1"},
		{"--busy-statuses", "404"}, {"--busy-statuses", "503,200"}, {"--busy-statuses", "600"}, {"--busy-statuses", "busy"},
	} {
		if _, err := resolve(t, append([]string{"--target", "https://t"}, args...), nil); !errors.Is(err, ErrConfig) {
			t.Errorf("%v: got %v, want ErrConfig", args, err)
		}
	}
	if _, err := resolve(t, nil, map[string]string{"PRESENCE_RATE": "-1"}); !errors.Is(err, ErrConfig) {
		t.Errorf("PRESENCE_RATE=-1: got %v, want ErrConfig", err)
	}
}

// spec is a previewed spec for partition tests.
func specReport(text string, serial bool, ordered ...string) types.SpecReport {
	return types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: text, IsSerial: serial,
		IsInOrderedContainer: len(ordered) > 0, ContainerHierarchyTexts: ordered}
}

func TestPartition(t *testing.T) {
	specs := []types.SpecReport{
		specReport("a", false), specReport("b", false), specReport("big", false),
		specReport("clock", true), specReport("c", false),
		specReport("o1", false, "flow"), specReport("o2", true, "flow"), specReport("o3", false, "flow"),
		specReport("p1", false, "pair"), specReport("p2", false, "pair"),
	}
	weight := func(sr types.SpecReport) int {
		if sr.LeafNodeText == "big" {
			return 10
		}
		return 1
	}
	groups, serial := partition(specs, 3, weight)
	if want := []string{"clock", "flow o1", "flow o2", "flow o3"}; !slices.Equal(serial, want) {
		t.Errorf("serial %v, want %v: Serial specs, and the whole Ordered container holding one", serial, want)
	}
	if len(groups) != 3 {
		t.Fatalf("%d groups, want 3", len(groups))
	}
	if !slices.Equal(groups[0].texts, []string{"big"}) {
		t.Errorf("the heaviest spec shares its group: %v", groups[0].texts)
	}
	seen := map[string]int{}
	for i, gr := range groups {
		for _, tx := range gr.texts {
			seen[tx] = i
		}
	}
	if len(seen) != 6 {
		t.Errorf("groups hold %d specs, want the 6 non-serial ones: %v", len(seen), groups)
	}
	if seen["pair p1"] != seen["pair p2"] {
		t.Errorf("an Ordered container was split: %v", groups)
	}
	if w1, w2 := groups[1].weight, groups[2].weight; w1-w2 > 1 || w2-w1 > 1 {
		t.Errorf("unbalanced groups: %d and %d", w1, w2)
	}
	if groups, _ := partition(specs[:2], 8, weight); len(groups) != 2 {
		t.Errorf("%d groups for 2 specs, want 2: no empty worker", len(groups))
	}
}

func TestFocusOnSelectsExactlyItsSpecs(t *testing.T) {
	re := regexp.MustCompile(focusOn([]string{"Presence API Batch get limits (users) 1+1", "Presence API x"}))
	for text, want := range map[string]bool{
		"Presence API Batch get limits (users) 1+1": true,
		"Presence API x":                                 true,
		"Presence API x and more":                        false,
		"Presence API Batch get limits (users) 1+1 more": false,
		"Presence API Batch get limits users 11":         false,
	} {
		if got := re.MatchString(suiteDescription + " " + text); got != want {
			t.Errorf("%q matched %v, want %v", text, got, want)
		}
	}
}

func TestThrottleCountsReachEveryReport(t *testing.T) {
	st := client.Stats{Retries: 3, Throttled: 1500 * time.Millisecond, Exhausted: 1}
	spec := types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: "x", State: types.SpecStatePassed,
		ReportEntries: types.ReportEntries{{Name: entryThrottle, Value: types.WrapEntryValue(st)}}}
	// The same counts decoded from a worker's report.json.
	data, err := types.WrapEntryValue(st).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var decoded types.ReportEntryValue
	if err := decoded.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	spec2 := spec
	spec2.ReportEntries = types.ReportEntries{{Name: entryThrottle, Value: decoded}}
	res := NewResult(types.Report{SpecReports: []types.SpecReport{spec, spec2}}, Defaults())
	if want := st.Add(st); res.Throttle != want {
		t.Fatalf("result throttle %+v, want %+v", res.Throttle, want)
	}
	var sum strings.Builder
	res.Summary(&sum)
	if !strings.Contains(sum.String(), "throttled: 6 retries, 3s waiting, 2 requests still throttled") {
		t.Errorf("summary lacks the counts:\n%s", sum.String())
	}
	dir := t.TempDir()
	junit := filepath.Join(dir, "junit.xml")
	if err := reporters.GenerateJUnitReport(types.Report{SuiteDescription: "s", SpecReports: []types.SpecReport{spec}}, junit); err != nil {
		t.Fatal(err)
	}
	if err := addThrottleProperties(junit, res.Throttle); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(junit)
	var parsed reporters.JUnitTestSuites
	if err := xml.Unmarshal(raw, &parsed); err != nil {
		t.Fatal(err)
	}
	props := parsed.TestSuites[0].Properties
	if props.WithName(PropRetries) != "6" || props.WithName(PropThrottled) != "3.000" || props.WithName(PropExhausted) != "2" || len(parsed.TestSuites[0].TestCases) != 1 {
		t.Errorf("junit properties %+v", props)
	}
	html := filepath.Join(dir, "report.html")
	if err := WriteHTML(html, res); err != nil {
		t.Fatal(err)
	}
	if page, _ := os.ReadFile(html); !strings.Contains(string(page), "6 retries") {
		t.Error("report.html lacks the throttling counts")
	}
}

func TestThrottledErrorIsBlamedOnTheRuleAndRemembered(t *testing.T) {
	e := &Env{}
	te := &client.ThrottledError{Tries: 5, Waited: time.Second, Response: &client.Response{Status: 429, Body: []byte(`{"error":"reach_limit"}`)}}
	err := e.Status(t.Context(), spec.RuleSubSelf, te.Response, te, 400)
	var f *Failure
	if !errors.As(err, &f) || f.Rule != spec.RuleSubSelf || !strings.Contains(f.Msg, "still throttled after 5 tries") {
		t.Fatalf("got %v, want a SUB-SELF failure naming the throttling", err)
	}
	if !strings.Contains(e.lastThrottle, "reach_limit") {
		t.Errorf("the reason to skip was not kept: %q", e.lastThrottle)
	}
	if e.throttled("X", errors.New("other")) != nil {
		t.Error("an ordinary error counted as throttling")
	}
}

func TestWorkersShareTheParentsPacer(t *testing.T) {
	// A burst of two, then one token an hour: two waits pass, the third
	// would outlive its context and is refused at once.
	url, stop, err := servePacer(rate.NewLimiter(rate.Every(time.Hour), 2))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	p := remotePacer{url: url, hc: &http.Client{}}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for i := range 2 {
		if err := p.Wait(ctx); err != nil {
			t.Fatalf("wait %d: %v", i+1, err)
		}
	}
	if err := p.Wait(ctx); err == nil {
		t.Error("a third token was granted beyond the shared budget")
	}
}
