package loadout

import (
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/loadgen"
)

// overviewHTML opens the report with what one looks for first: did the
// thresholds hold, what each operation did, which errors, and how the run
// was set up. html/template escapes every value.
var overviewHTML = template.Must(template.New("overview").Parse(`
<style>
.pk{font-family:sans-serif;margin:1em 2em;max-width:1100px}
.pk table{border-collapse:collapse;margin:0.4em 0 1em}
.pk th,.pk td{border:1px solid #ccc;padding:3px 8px}
.pk td.n{text-align:right;font-variant-numeric:tabular-nums}
.pk .pass{color:#176117;font-weight:bold}.pk .fail{color:#b00;font-weight:bold}
.pk .warn{background:#fff3cd;padding:0.4em}
</style>
<section class="pk" id="overview">
<h1>presencekit load report</h1>
<p>{{.Sub}}</p>
{{if .Interrupted}}<p class="warn">Interrupted: the results cover the run up to the interrupt.</p>{{end}}
{{if .Verdicts}}<h2>Thresholds</h2>
<table><tr><th>threshold</th><th>verdict</th><th>measured</th></tr>
{{range .Verdicts}}<tr><td><code>{{.Threshold.Raw}}</code></td>{{if .Pass}}<td class="pass">pass</td>{{else}}<td class="fail">fail</td>{{end}}<td>{{.Actual}}</td></tr>
{{end}}</table>{{end}}
<h2>Operations</h2>
{{if .Ops}}<table><tr><th>operation</th><th>count</th><th>req/s</th><th>errors</th><th>p50 (ms)</th><th>p90 (ms)</th><th>p99 (ms)</th><th>max (ms)</th><th>service p99 (ms)</th></tr>
{{range .Ops}}<tr><td>{{.Op}}</td><td class="n">{{.Count}}</td><td class="n">{{.RPS}}</td><td class="n">{{.Errors}}</td><td class="n">{{.P50}}</td><td class="n">{{.P90}}</td><td class="n">{{.P99}}</td><td class="n">{{.Max}}</td><td class="n">{{.SvcP99}}</td></tr>
{{end}}</table>
<p>Latency is corrected: measured from each request's intended send time, so a stalled server shows in it; service time is from the actual send.{{if .Target}} {{.Target}}{{end}} Late sends: {{.Late}}.</p>
{{else}}<p>No request completed.</p>{{end}}
{{if .Setup}}<p>Setup phase (not in these figures): {{.Setup}}.</p>{{end}}
{{if .Kinds}}<h2>Errors by kind</h2>
<table><tr><th>kind</th><th>count</th><th>share of requests</th></tr>
{{range .Kinds}}<tr><td><code>{{.Kind}}</code></td><td class="n">{{.N}}</td><td class="n">{{.Share}}</td></tr>
{{end}}</table>{{end}}
</section>
`))

// configHTML closes the readable part: the run's settings, masked.
var configHTML = template.Must(template.New("config").Parse(`
<section class="pk" id="configuration">
<h2>Configuration</h2>
<table>{{range .}}<tr><th style="text-align:left">{{.K}}</th><td>{{.V}}</td></tr>
{{end}}</table>
<p>Credentials are never recorded; anything shaped like one is masked.</p>
</section>
`))

type opRow struct {
	Op                              string
	Count                           uint64
	RPS, Errors, P50, P90, P99, Max string
	SvcP99                          string
}

type kindRow struct {
	Kind, Share string
	N           uint64
}

type kv struct{ K, V string }

// msText is a latency in milliseconds, for a column that says "(ms)".
func msText(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) }

func opRowOf(o *loadgen.OpSummary) opRow {
	c := o.Corrected
	return opRow{Op: o.Op, Count: o.Count, RPS: strconv.FormatFloat(o.Rate, 'f', 1, 64), Errors: errCell(o),
		P50: msText(c.P50), P90: msText(c.P90), P99: msText(c.P99), Max: msText(c.Max), SvcP99: msText(o.Service.P99)}
}

// writeOverview renders the report's opening section.
func writeOverview(w io.Writer, r *loadgen.Results, s *loadgen.Summary, verdicts []loadgen.Verdict, red *client.Redactor) error {
	data := struct {
		Sub, Target, Setup string
		Interrupted        bool
		Verdicts           []loadgen.Verdict
		Ops                []opRow
		Late               uint64
		Kinds              []kindRow
	}{Sub: red.String(subtitle(r, s)), Interrupted: r.Interrupted, Verdicts: verdicts, Late: s.All.Late}
	for i := range s.Ops {
		data.Ops = append(data.Ops, opRowOf(&s.Ops[i]))
	}
	if len(s.Ops) > 1 {
		data.Ops = append(data.Ops, opRowOf(&s.All))
	}
	if f, ok := s.TargetFraction(); ok {
		data.Target = fmt.Sprintf("Target: %d hits scheduled, %d sent (%.1f%%), %d dropped.", s.Expected, s.Sent, 100*f, s.Dropped)
	}
	if len(s.Setup) > 0 {
		var n uint64
		for _, o := range s.Setup {
			n += o.Count
		}
		data.Setup = fmt.Sprintf("%d requests in %s", n, loadgen.FormatDuration(s.SetupElapsed))
	}
	for _, k := range slices.Sorted(maps.Keys(s.All.ErrorKinds)) {
		n := s.All.ErrorKinds[k]
		data.Kinds = append(data.Kinds, kindRow{Kind: red.String(k), N: n,
			Share: strconv.FormatFloat(100*float64(n)/float64(max(s.All.Count, 1)), 'f', 3, 64) + "%"})
	}
	if err := overviewHTML.Execute(w, data); err != nil {
		return fmt.Errorf("render overview: %w", err)
	}
	return nil
}

// subtitle is the run in one line.
func subtitle(r *loadgen.Results, s *loadgen.Summary) string {
	return fmt.Sprintf("%s loop, %d requests in %s, shards %s, target %s", r.Config.Mode, s.All.Count,
		loadgen.FormatDuration(s.Elapsed), strings.Join(r.Shards, ","), r.Config.Target)
}

// writeConfig renders the recorded configuration. RunInfo has no field
// for a credential; each value still goes through the redactor, and the
// target's URL password is masked, for results written by older versions.
func writeConfig(w io.Writer, c loadgen.RunInfo, red *client.Redactor) error {
	var rows []kv
	add := func(k string, v any) {
		text := fmt.Sprint(v)
		switch v := v.(type) {
		case time.Duration:
			if v == 0 {
				return
			}
		case float64:
			if v == 0 {
				return
			}
			text = strconv.FormatFloat(v, 'f', -1, 64)
		case int:
			if v == 0 {
				return
			}
		case uint64:
			if v == 0 && k != "seed" {
				return
			}
		case string:
			if v == "" {
				return
			}
		case bool:
			if !v {
				return
			}
		}
		rows = append(rows, kv{k, red.String(text)})
	}
	add("target", red.URL(c.Target))
	add("org / app", c.Org+" / "+c.App)
	add("auth", c.Auth)
	add("mode", c.Mode+" loop")
	add("rate (req/s)", c.Rate)
	add("stages", c.Stages)
	add("arrival", c.Arrival)
	add("concurrency", c.Concurrency)
	add("connections", c.Connections)
	add("workers", c.Workers)
	add("duration", c.Duration)
	add("requests", c.Requests)
	add("timeout", c.Timeout)
	add("users", c.Users)
	add("user prefix", c.UserPrefix)
	add("zipf", c.Zipf)
	add("mix", c.Mix)
	add("batch", c.Batch)
	add("seed", c.Seed)
	add("shard", c.Shard)
	add("validate (fraction)", c.Validate)
	if c.Verify {
		add("verify", c.Verify)
		add("verify staleness", c.VerifyStaleness)
		add("verify sample", c.VerifySample)
	}
	add("client", c.Client)
	add("max error rate", c.MaxErrorRate)
	if err := configHTML.Execute(w, rows); err != nil {
		return fmt.Errorf("render configuration: %w", err)
	}
	return nil
}
