package loadout

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

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
	if err := WriteHTML(&buf, res); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, bad := range []string{"<script src", "<link href", "go-echarts.github.io", "cdn"} {
		if strings.Contains(html, bad) {
			t.Fatalf("report contains %q: not self-contained", bad)
		}
	}
	if !strings.Contains(html, "echarts.init") || len(html) < 1_000_000 {
		t.Fatalf("report lacks the inlined ECharts library (%d bytes)", len(html))
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
	if err := WriteHTML(&b, res); err != nil {
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
