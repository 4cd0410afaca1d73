package suites

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/presencekit/presencekit/client"
)

// Redactor returns the redaction layer of a run with cfg: it masks the
// token, the client secret, the admin token and the target's password
// wherever they appear (a refused secret with a suffix included), besides
// the shapes client.Redactor always masks. Every conform output passes
// through one: console, failure messages, report entries and files.
func Redactor(cfg Config) *client.Redactor {
	return client.NewRedactor(secrets(cfg)...)
}

// secrets are cfg's secret values, the target URL's password included.
func secrets(cfg Config) []string {
	out := []string{cfg.Token, cfg.ClientSecret, cfg.AdminToken}
	if u, err := url.Parse(cfg.Target); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			out = append(out, pw)
		}
	}
	return out
}

// RedactReports rewrites the report files Ginkgo wrote into dir (junit.xml,
// report.json) through red: Ginkgo has no hook to filter what it writes,
// and a failed spec's report carries its failure message and exchange.
// The JSON report is rewritten value by value, so it stays valid JSON
// whatever a secret's bytes are; the XML one as text, with each secret
// also masked in its XML-escaped form.
func RedactReports(dir string, red *client.Redactor, cfg Config) error {
	if dir == "" {
		return nil
	}
	if err := rewrite(filepath.Join(dir, "report.json"), func(b []byte) ([]byte, error) {
		return redactJSON(b, red)
	}); err != nil {
		return err
	}
	xmlRed := client.NewRedactor(secrets(cfg)...)
	for _, s := range secrets(cfg) {
		var buf bytes.Buffer
		_ = xml.EscapeText(&buf, []byte(s))
		xmlRed.Add(buf.String())
	}
	return rewrite(filepath.Join(dir, "junit.xml"), func(b []byte) ([]byte, error) {
		return xmlRed.Bytes(b), nil
	})
}

// rewrite replaces path's content with f's result; a missing file (a
// report not asked for) is left alone.
func rewrite(path string, f func([]byte) ([]byte, error)) error {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("redact %s: %w", path, err)
	}
	out, err := f(data)
	if err != nil {
		return fmt.Errorf("redact %s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o644)
}

// redactJSON masks every string of a JSON document. A string that is
// itself a JSON document (Ginkgo keeps report entries as JSON text) is
// redacted as a document, so masking never breaks its escaping.
func redactJSON(data []byte, red *client.Redactor) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	v = redactValue(v, red)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func redactValue(v any, red *client.Redactor) any {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			x[k] = redactValue(c, red)
		}
	case []any:
		for i, c := range x {
			x[i] = redactValue(c, red)
		}
	case string:
		s := strings.TrimSpace(x)
		if len(s) > 1 && (s[0] == '{' || s[0] == '[' || s[0] == '"') && json.Valid([]byte(s)) {
			if out, err := redactJSON([]byte(s), red); err == nil {
				return strings.TrimSpace(string(out))
			}
		}
		return red.String(x)
	}
	return v
}
