package loadout

import (
	"bytes"
	_ "embed" // the ECharts library, inlined into reports
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/components"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/types"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/loadgen"
)

// echartsJS is Apache ECharts 5.6.0 (dist/echarts.min.js of the npm
// package; Apache-2.0, see assets/ECHARTS-LICENSE). go-echarts pages load
// it from a CDN by default; a report attached to a CI run must open
// offline and years later, so it is inlined instead.
//
//go:embed assets/echarts-5.6.0.min.js
var echartsJS string

// echartsSlot marks where echartsJS goes in a rendered page.
const echartsSlot = "<script>/* presencekit: ECharts goes here */</script>"

// WriteHTML writes a self-contained HTML report of r. It opens with what
// one looks for first: the threshold verdicts (verdicts, as
// loadgen.Judge gives them; none when no threshold was set), a table per
// operation, errors by kind, the --verify findings and the configuration
// with anything secret-shaped masked; then the charts: latency percentiles
// and throughput over time, the latency distribution, errors by kind. A
// chart with nothing to show is left out. It loads nothing from the
// network.
func WriteHTML(w io.Writer, r *loadgen.Results, verdicts []loadgen.Verdict) error {
	s, err := loadgen.Summarize(r)
	if err != nil {
		return err
	}
	over, err := overTime(r)
	if err != nil {
		return err
	}
	red := client.NewRedactor()
	page := components.NewPage()
	page.SetPageTitle("presencekit load report")
	if s.All.Count > 0 {
		page.AddCharts(latencyChart(over), throughputChart(over, s.All.Errors > 0), distributionChart(s))
	}
	if s.All.Errors > 0 {
		page.AddCharts(errorsChart(s))
	}
	// Swap the CDN script for the embedded library. The library goes in
	// after rendering, in place of a slot: go-echarts runs a regexp over
	// the whole page it renders, and over the megabyte of ECharts that pass
	// is most of a report's cost (70 times over under the race detector).
	page.ClearPresetJSAssets()
	page.AddCustomizedHeaders(echartsSlot)
	var charts bytes.Buffer
	if err := page.Render(&charts); err != nil {
		return fmt.Errorf("render HTML report: %w", err)
	}
	slot := bytes.Index(charts.Bytes(), []byte(echartsSlot))
	if slot < 0 {
		return errors.New("render HTML report: the page has no place for the ECharts library")
	}
	var head bytes.Buffer
	if err := writeOverview(&head, r, s, verdicts, red); err != nil {
		return err
	}
	if r.Verification != nil {
		if err := writeVerifyHTML(&head, r.Verification); err != nil {
			return err
		}
	}
	if err := writeConfig(&head, r.Config, red); err != nil {
		return err
	}
	if s.All.Count > 0 {
		head.WriteString(`<h2 class="pk" style="font-family:sans-serif;margin:1em 2em 0">Charts</h2>`)
	}
	out := charts.Bytes()
	at := bytes.Index(out[slot:], []byte("<body>"))
	if at < 0 {
		return errors.New("render HTML report: the page has no <body> after its head")
	}
	at += slot + len("<body>")
	for _, part := range [][]byte{out[:slot], []byte("<script>" + echartsJS + "</script>"),
		out[slot+len(echartsSlot) : at], head.Bytes(), out[at:]} {
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

// lineChart is a line chart whose axes say what they measure: x the
// elapsed seconds or the percentile, y the unit, also on every label.
func lineChart(title, sub, xName, yName, yUnit string) *charts.Line {
	l := charts.NewLine()
	l.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{Width: "1000px", Height: "420px"}),
		charts.WithTitleOpts(opts.Title{Title: title, Subtitle: sub}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "bottom"}),
		charts.WithYAxisOpts(opts.YAxis{Name: yName, AxisLabel: &opts.AxisLabel{Formatter: types.FuncStr("{value} " + yUnit)}}),
		charts.WithXAxisOpts(opts.XAxis{Name: xName}),
	)
	return l
}

// elapsedAxis names the x axis of the charts over time.
const elapsedAxis = "elapsed (s)"

func latencyChart(d *overTimeData) *charts.Line {
	l := lineChart("Latency over time (corrected: from the intended send time)",
		"percentiles per interval, all operations", elapsedAxis, "latency (ms)", "ms")
	l.SetXAxis(d.x).
		AddSeries("p50", d.p50).AddSeries("p90", d.p90).AddSeries("p99", d.p99).
		AddSeries("p99.9", d.p999).AddSeries("service p99", d.svcP99)
	return l
}

// throughputChart draws completions per second by operation, and errors
// per second when there were any.
func throughputChart(d *overTimeData, errors bool) *charts.Line {
	title := "Throughput over time"
	if errors {
		title = "Throughput and errors over time"
	}
	l := lineChart(title, "completed requests per second by operation", elapsedAxis, "requests per second", "/s")
	l.SetXAxis(d.x)
	for _, id := range slices.SortedFunc(maps.Keys(d.rate), func(a, b string) int { return loadgen.OpOrder(a) - loadgen.OpOrder(b) }) {
		l.AddSeries(id, d.rate[id])
	}
	if errors {
		l.AddSeries("errors", d.errors)
	}
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
	l := lineChart("Latency distribution (all operations)", "percentile spectrum", "percentile", "latency (ms)", "ms")
	l.SetXAxis(x).AddSeries("corrected", corr).AddSeries("service", svc)
	return l
}

func errorsChart(s *loadgen.Summary) *charts.Bar {
	b := charts.NewBar()
	b.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{Width: "1000px", Height: "360px"}),
		charts.WithTitleOpts(opts.Title{Title: "Errors by kind", Subtitle: errSubtitle(s)}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Name: "requests"}),
		charts.WithXAxisOpts(opts.XAxis{Name: "kind"}),
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
