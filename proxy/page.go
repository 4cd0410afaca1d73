package proxy

import (
	"html/template"
	"slices"
	"strconv"
	"time"
)

// opSection is one operation's groups on the HTML page.
type opSection struct {
	Operation string
	Count     int64
	Groups    []Group
}

type page struct {
	Snapshot
	Sections []opSection
}

// pageData groups the snapshot's groups by operation, the page's outline.
func pageData(s Snapshot) page {
	p := page{Snapshot: s}
	for _, g := range s.Groups {
		if n := len(p.Sections); n == 0 || p.Sections[n-1].Operation != g.Operation {
			p.Sections = append(p.Sections, opSection{Operation: g.Operation})
		}
		sec := &p.Sections[len(p.Sections)-1]
		sec.Groups = append(sec.Groups, g)
		sec.Count += g.Count
	}
	return p
}

// fieldCount is one row of a group's field counts.
type fieldCount struct {
	Field string
	Count int64
}

func pageFuncs() template.FuncMap {
	return template.FuncMap{
		"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
		"fields": func(m map[string]int64) []fieldCount {
			out := make([]fieldCount, 0, len(m))
			for f, n := range m {
				out = append(out, fieldCount{f, n})
			}
			slices.SortFunc(out, func(a, b fieldCount) int {
				if a.Count != b.Count {
					return int(b.Count - a.Count)
				}
				if a.Field < b.Field {
					return -1
				}
				return 1
			})
			return out
		},
		"op": func(s string) string {
			if s == "" {
				return "(unrouted)"
			}
			return s
		},
		"itoa": func(n int64) string { return strconv.FormatInt(n, 10) },
	}
}

// reportPage is the self-contained HTML report: inline CSS, no script, no
// external resource, so it can be saved and attached to a ticket.
const reportPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>presencekit proxy report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.num{text-align:right}.ok{color:#070}.bad{color:#b00}
.MUST{color:#b00;font-weight:600}.SHOULD{color:#b60}.PROBE{color:#666}
code{font-size:12px}ul{margin:0;padding-left:1.2em}.muted{color:#666}
</style></head><body>
<h1>presencekit proxy report</h1>
<p class="muted">target <code>{{.Target}}</code> · mode {{.Mode}} · since {{when .Started}} · generated {{when .Generated}}</p>
<table><tr><th>requests</th><th>violations (request / response)</th><th>unrouted</th><th>unchecked (request / response)</th><th>target errors</th><th>blocked</th></tr>
<tr><td class="num">{{.Stats.Requests}}</td>
<td class="num {{if .Violations}}bad{{else}}ok{{end}}">{{.Stats.RequestViolations}} / {{.Stats.ResponseViolations}}</td>
<td class="num">{{.Stats.Unrouted}}</td><td class="num">{{.Stats.UncheckedRequests}} / {{.Stats.UncheckedResponses}}</td>
<td class="num">{{.Stats.UpstreamErrors}}</td><td class="num">{{.Stats.Blocked}}</td></tr></table>
{{if not .Sections}}<p class="ok">No violation seen.</p>{{end}}
{{range .Sections}}<h2>{{op .Operation}} <span class="muted">({{itoa .Count}})</span></h2>
<table><tr><th>rule</th><th>direction</th><th class="num">count</th><th>fields</th><th>latest</th><th>seen</th></tr>
{{range .Groups}}<tr><td><b>{{.Rule}}</b>{{if .Level}} <span class="{{.Level}}">{{.Level}}</span>{{end}}{{if .Statement}}<br><span class="muted">{{.Statement}}</span>{{end}}</td>
<td>{{.Direction}}</td><td class="num">{{.Count}}</td>
<td><ul>{{range fields .Fields}}<li><code>{{.Field}}</code> × {{.Count}}</li>{{end}}</ul></td>
<td><code>{{.Last.Method}} {{.Last.Path}}</code>{{if .Last.Status}} → {{.Last.Status}}{{end}}<br>{{.Last.Reason}}</td>
<td class="muted">{{when .FirstSeen}}<br>{{when .LastSeen}}</td></tr>
{{end}}</table>{{end}}
{{if .Recent}}<h2>Latest violations</h2>
<table><tr><th>time</th><th>rule</th><th>operation</th><th>exchange</th><th>field</th><th>reason</th></tr>
{{range .Recent}}<tr><td class="muted">{{when .Time}}</td><td>{{.Rule}}</td><td>{{op .Operation}} {{.Direction}}</td>
<td><code>{{.Method}} {{.Path}}</code>{{if .Status}} → {{.Status}}{{end}}</td><td><code>{{.Field}}</code></td><td>{{.Reason}}</td></tr>
{{end}}</table>{{end}}
</body></html>
`
