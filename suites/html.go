package suites

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"os"
)

//go:embed report.html.tmpl
var reportTemplate string

// WriteHTML writes the conformance matrix as one self-contained page: inline
// CSS, no script, nothing fetched, so a CI artifact opens anywhere.
func WriteHTML(path string, res *Result) error {
	t, err := template.New("report").Parse(reportTemplate)
	if err != nil {
		return fmt.Errorf("report template: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, struct {
		*Result
		Counts map[string]int
		Gate   bool
	}{res, res.Count(), res.GatePassed()}); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
