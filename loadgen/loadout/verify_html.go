package loadout

import (
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"

	"github.com/presencekit/presencekit/loadgen"
)

// verifyHTML is the report's verification section: totals, violations
// per rule and operation, and the first examples in full. html/template
// escapes every answer and request text.
var verifyHTML = template.Must(template.New("verify").Parse(`
<section class="pk" id="verification">
<h2>Verification under load (--verify)</h2>
<p>{{.Checked}} answers checked against the model of what the run told the server; <b>{{.Total}} violations</b>.</p>
{{if .Rows}}<table>
<tr><th>rule</th><th>operation</th><th>violations</th></tr>
{{range .Rows}}<tr><td>{{.Rule}}</td><td>{{.Op}}</td><td class="n">{{.N}}</td></tr>
{{end}}</table>
<h3>First violations</h3>
{{range .Examples}}<div style="margin:0.8em 0;padding:0.5em;border-left:4px solid #c33">
<div><b>{{.Rule}}</b> in {{.Op}}, sent {{.Sent.Format "15:04:05.000000"}}, answered {{.Answered.Format "15:04:05.000000"}} (UTC)</div>
<div>request: <code>{{.Request}}</code></div>
<div>answer: <code>{{.Answer}}</code></div>
<div>expected: {{.Expected}}</div>
</div>
{{end}}{{end}}</section>
`))

type verifyRow struct {
	Rule, Op string
	N        uint64
}

// writeVerifyHTML renders the verification section.
func writeVerifyHTML(w io.Writer, v *loadgen.Verification) error {
	var rows []verifyRow
	for _, rule := range slices.Sorted(maps.Keys(v.Violations)) {
		for _, op := range slices.Sorted(maps.Keys(v.Violations[rule])) {
			rows = append(rows, verifyRow{rule, op, v.Violations[rule][op]})
		}
	}
	err := verifyHTML.Execute(w, struct {
		Checked, Total uint64
		Rows           []verifyRow
		Examples       []loadgen.VerifyExample
	}{v.CheckedTotal(), v.Total(), rows, v.Examples})
	if err != nil {
		return fmt.Errorf("render verification: %w", err)
	}
	return nil
}
