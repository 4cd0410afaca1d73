package loadout

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/loadgen"
	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/mock/mocktest"
	"github.com/presencekit/presencekit/spec"
)

// run makes real results: a short run bounded by its request count against
// the embedded mock, with verification (and a broken mode) when verify is set.
func run(t *testing.T, verify bool) *loadgen.Results {
	t.Helper()
	doc := mocktest.Doc(t)
	var mcfg mock.Config
	if verify {
		mcfg = mocktest.Config(t, "RACE-GET-STALE")
	} else {
		mcfg = mocktest.Config(t)
	}
	url := mocktest.Start(t, mcfg).URL
	cfg := loadgen.DefaultConfig(url, doc.Limits())
	cfg.Token = mock.DefaultToken
	cfg.Doc = doc
	cfg.Timeout = 5 * time.Second
	cfg.Workload.Users = 50
	cfg.Concurrency, cfg.Connections = 8, 8
	cfg.Requests, cfg.Duration = 1000, time.Minute // bounded by the count
	cfg.Verify = verify
	res, err := loadgen.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The HTML report opens offline: no script or stylesheet from a network.
func TestHTMLSelfContained(t *testing.T) {
	res := run(t, false)
	var buf bytes.Buffer
	if err := WriteHTML(&buf, res, nil); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, bad := range []string{"<script src", "<link href", "go-echarts.github.io", "cdn"} {
		if strings.Contains(html, bad) {
			t.Fatalf("report contains %q: not self-contained", bad)
		}
	}
	if !strings.Contains(html, "echarts.init") || strings.Count(html, "<script>"+echartsJS+"</script>") != 1 {
		t.Fatalf("report lacks the inlined ECharts library, whole and once (%d bytes)", len(html))
	}
	if strings.Contains(html, echartsSlot) {
		t.Error("the library's slot is still in the page")
	}
	if strings.Index(html, echartsJS) > strings.Index(html, "echarts.init") {
		t.Error("the library comes after the charts that use it")
	}
}

// The HDR log is readable by hdrhistogram-go's own log reader.
func TestHDRLogReadable(t *testing.T) {
	res := run(t, false)
	var buf bytes.Buffer
	if err := WriteHDRLog(&buf, res); err != nil {
		t.Fatal(err)
	}
	rd := hdr.NewHistogramLogReader(&buf)
	n := 0
	var total int64
	for {
		h, err := rd.NextIntervalHistogram()
		if err != nil {
			t.Fatal(err)
		}
		if h == nil {
			break
		}
		n++
		if !strings.HasPrefix(h.Tag(), "svc.") {
			total += h.TotalCount()
		}
	}
	var want uint64
	for _, in := range res.Intervals {
		for _, o := range in.Ops {
			want += o.Count
		}
	}
	if n == 0 || uint64(total) != want {
		t.Fatalf("%d histograms with %d values, want %d values", n, total, want)
	}
}

// TestVerifyHTML: the HTML report opens with the verification, the
// counts per rule and the examples, escaped.
func TestVerifyHTML(t *testing.T) {
	res := run(t, true)
	var b strings.Builder
	if err := WriteHTML(&b, res, nil); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	i := strings.Index(page, "Verification under load")
	if i < 0 || i > strings.Index(page, "echarts.init") && strings.Contains(page, "echarts.init") {
		t.Fatal("the verification section is missing or not first")
	}
	for _, want := range []string{string(spec.RuleSetStatusPerResource), "getPresenceStatus", "First violations", "acknowledged at", "&#34;usernames&#34;"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// The summary table says how many token renewals the run made.
func TestSummaryTextSaysRenewals(t *testing.T) {
	res := run(t, false)
	s, err := loadgen.Summarize(res)
	if err != nil {
		t.Fatal(err)
	}
	s.TokenRenewals, s.TokenRenewalFailures = 3, 1
	var out strings.Builder
	if err := WriteText(&out, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"token renewals: 3 (1 failed)", "getPresenceStatus"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, out.String())
		}
	}
}

// The report opens, before any chart, with the thresholds' verdicts, the
// operations table in ms, and the configuration with the target's
// password masked; a run without errors or --verify has no section or
// chart for them; latency axes say ms.
func TestHTMLOpensWithOverview(t *testing.T) {
	res := run(t, false)
	res.Config.Target = "http://load:hunter2@127.0.0.1:1"
	s, err := loadgen.Summarize(res)
	if err != nil {
		t.Fatal(err)
	}
	pass, _ := loadgen.ParseThreshold("p99<1h")
	fail, _ := loadgen.ParseThreshold("errors>50%")
	var b strings.Builder
	if err := WriteHTML(&b, res, loadgen.Judge(s, []loadgen.Threshold{pass, fail})); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	charts := strings.Index(page, `class="container"`)
	if charts < 0 {
		t.Fatal("no chart container in the report")
	}
	for _, want := range []string{
		`<code>p99&lt;1h</code></td><td class="pass">pass</td>`,
		`<code>errors&gt;50%</code></td><td class="fail">fail</td>`,
		"<th>p99 (ms)</th>", "<td>getPresenceStatus</td>", "<td>all</td>",
		`id="configuration"`, "load:" + client.Redacted + "@127.0.0.1:1", "closed loop",
	} {
		if i := strings.Index(page, want); i < 0 || i > charts {
			t.Errorf("the report lacks %q before the charts", want)
		}
	}
	for _, bad := range []string{"hunter2", mock.DefaultToken, "Errors by kind", `id="verification"`, `"name":"s"`} {
		if strings.Contains(page, bad) {
			t.Errorf("the report shows %q", bad)
		}
	}
	if !strings.Contains(page, `"formatter":"{value} ms"`) || !strings.Contains(page, `"name":"latency (ms)"`) {
		t.Error("latency axes do not say ms")
	}
}

// Errors get their table and chart; a run with no request has no charts.
func TestHTMLErrorsAndEmpty(t *testing.T) {
	res := run(t, false)
	for _, o := range res.Intervals[0].Ops {
		o.Errors = map[string]uint64{"5xx:503": 7}
		break
	}
	var b strings.Builder
	if err := WriteHTML(&b, res, nil); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Count(page, "Errors by kind") != 2 || !strings.Contains(page, "<code>5xx:503</code></td><td class=\"n\">7</td>") {
		t.Error("errors by kind: want the table and the chart")
	}
	if strings.Contains(page, "<th>threshold</th>") {
		t.Error("a thresholds table without thresholds")
	}
	res.Intervals, res.Setup = nil, nil
	b.Reset()
	if err := WriteHTML(&b, res, nil); err != nil {
		t.Fatal(err)
	}
	if page := b.String(); strings.Contains(page, "Latency over time") || !strings.Contains(page, "No request completed") {
		t.Error("a run without requests: want no charts and a note")
	}
}
