package loadout

import (
	"bytes"
	_ "embed" // the ECharts library, inlined into reports
	"fmt"
	"github.com/presencekit/presencekit/loadgen"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/components"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// echartsJS is Apache ECharts 5.6.0 (dist/echarts.min.js of the npm
// package; Apache-2.0, see assets/ECHARTS-LICENSE). go-echarts pages load
// it from a CDN by default; a report attached to a CI run must open
// offline and years later, so it is inlined instead.
//
//go:embed assets/echarts-5.6.0.min.js
var echartsJS string

// WriteHTML writes a self-contained HTML report of r: latency percentiles
// over time, throughput and errors over time, the latency distribution and
// errors by kind. It loads nothing from the network.
func WriteHTML(w io.Writer, r *loadgen.Results) error {
	s, err := loadgen.Summarize(r)
	if err != nil {
		return err
	}
	over, err := overTime(r)
	if err != nil {
		return err
	}
	sub := fmt.Sprintf("%s loop, %d requests in %s, shards %v, target %s", r.Config.Mode, s.All.Count,
		loadgen.FormatDuration(s.Elapsed), r.Shards, r.Config.Target)
	page := components.NewPage()
	page.SetPageTitle("presencekit load report")
	page.AddCharts(
		latencyChart(over, sub),
		throughputChart(over),
		distributionChart(s),
		errorsChart(s),
	)
	// Swap the CDN script for the embedded library.
	page.ClearPresetJSAssets()
	page.AddCustomizedHeaders("<script>" + echartsJS + "</script>")
	if r.Verification == nil {
		if err := page.Render(w); err != nil {
			return fmt.Errorf("render HTML report: %w", err)
		}
		return nil
	}
	// The verification opens the report: a violation is what one looks
	// for first.
	var buf bytes.Buffer
	if err := page.Render(&buf); err != nil {
		return fmt.Errorf("render HTML report: %w", err)
	}
	var sec bytes.Buffer
	if err := writeVerifyHTML(&sec, r.Verification); err != nil {
		return err
	}
	out := buf.Bytes()
	at := bytes.Index(out, []byte("<body>"))
	if at < 0 {
		at = 0
	} else {
		at += len("<body>")
	}
	for _, part := range [][]byte{out[:at], sec.Bytes(), out[at:]} {
		if _, err := w.Write(part); err != nil {
			return fmt.Errorf("write HTML report: %w", err)
		}
	}
	return nil
}

// series over time, one point per interval.
type overTimeData struct {
	x                   []string
	p50, p90, p99, p999 []opts.LineData
	svcP99              []opts.LineData
	rate                map[string][]opts.LineData // by operationId
	errors              []opts.LineData
}

func ms(v int64) float64 { return float64(v) / 1000 }

func overTime(r *loadgen.Results) (*overTimeData, error) {
	d := &overTimeData{rate: map[string][]opts.LineData{}}
	ids := map[string]bool{}
	for _, iv := range r.Intervals {
		for id := range iv.Ops {
			ids[id] = true
		}
	}
	for _, iv := range r.Intervals {
		all, svc := loadgen.NewHist(), loadgen.NewHist()
		secs := (iv.End - iv.Start).Seconds()
		var errs uint64
		for id := range ids {
			o := iv.Ops[id]
			if o == nil {
				d.rate[id] = append(d.rate[id], opts.LineData{Value: 0})
				continue
			}
			c, err := o.Corrected.Decode()
			if err != nil {
				return nil, err
			}
			sv, err := o.Service.Decode()
			if err != nil {
				return nil, err
			}
			all.Merge(c)
			svc.Merge(sv)
			errs += o.ErrorCount()
			d.rate[id] = append(d.rate[id], opts.LineData{Value: perSec(o.Count, secs)})
		}
		d.x = append(d.x, strconv.FormatFloat(iv.End.Seconds(), 'f', 1, 64))
		d.p50 = append(d.p50, opts.LineData{Value: ms(all.ValueAtQuantile(50))})
		d.p90 = append(d.p90, opts.LineData{Value: ms(all.ValueAtQuantile(90))})
		d.p99 = append(d.p99, opts.LineData{Value: ms(all.ValueAtQuantile(99))})
		d.p999 = append(d.p999, opts.LineData{Value: ms(all.ValueAtQuantile(99.9))})
		d.svcP99 = append(d.svcP99, opts.LineData{Value: ms(svc.ValueAtQuantile(99))})
		d.errors = append(d.errors, opts.LineData{Value: perSec(errs, secs)})
	}
	return d, nil
}

func perSec(n uint64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return float64(n) / secs
}

func lineChart(title, sub, yName string) *charts.Line {
	l := charts.NewLine()
	l.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{Width: "1000px", Height: "420px"}),
		charts.WithTitleOpts(opts.Title{Title: title, Subtitle: sub}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "bottom"}),
		charts.WithYAxisOpts(opts.YAxis{Name: yName}),
		charts.WithXAxisOpts(opts.XAxis{Name: "s"}),
	)
	return l
}

func latencyChart(d *overTimeData, sub string) *charts.Line {
	l := lineChart("Latency over time (corrected: from the intended send time)", sub, "ms")
	l.SetXAxis(d.x).
		AddSeries("p50", d.p50).AddSeries("p90", d.p90).AddSeries("p99", d.p99).
		AddSeries("p99.9", d.p999).AddSeries("service p99", d.svcP99)
	return l
}

func throughputChart(d *overTimeData) *charts.Line {
	l := lineChart("Throughput and errors over time", "completed requests per second by operation", "req/s")
	l.SetXAxis(d.x)
	for _, id := range slices.SortedFunc(maps.Keys(d.rate), func(a, b string) int { return loadgen.OpOrder(a) - loadgen.OpOrder(b) }) {
		l.AddSeries(id, d.rate[id])
	}
	l.AddSeries("errors", d.errors)
	return l
}

// distributionChart is the percentile spectrum, corrected against service,
// on a category axis of nines so the tail gets the room it deserves.
func distributionChart(s *loadgen.Summary) *charts.Line {
	qs := []float64{0, 50, 75, 90, 95, 99, 99.9, 99.99, 100}
	var x []string
	var corr, svc []opts.LineData
	for _, q := range qs {
		x = append(x, "p"+strconv.FormatFloat(q, 'f', -1, 64))
		c, sv, _ := s.All.ValueAtQuantile(q)
		corr = append(corr, opts.LineData{Value: ms(c)})
		svc = append(svc, opts.LineData{Value: ms(sv)})
	}
	l := lineChart("Latency distribution (all operations)", "percentile spectrum", "ms")
	l.SetXAxis(x).AddSeries("corrected", corr).AddSeries("service", svc)
	return l
}

func errorsChart(s *loadgen.Summary) *charts.Bar {
	b := charts.NewBar()
	b.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{Width: "1000px", Height: "360px"}),
		charts.WithTitleOpts(opts.Title{Title: "Errors by kind", Subtitle: errSubtitle(s)}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true)}),
	)
	kinds := slices.Sorted(maps.Keys(s.All.ErrorKinds))
	var data []opts.BarData
	for _, k := range kinds {
		data = append(data, opts.BarData{Value: s.All.ErrorKinds[k]})
	}
	b.SetXAxis(kinds).AddSeries("errors", data)
	return b
}

func errSubtitle(s *loadgen.Summary) string {
	if s.All.Errors == 0 {
		return "no errors"
	}
	return fmt.Sprintf("%d of %d requests (%.3f%%), late sends %d, dropped %d", s.All.Errors, s.All.Count,
		100*s.All.ErrorRate(), s.All.Late, s.Dropped)
}
