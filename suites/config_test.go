package suites

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/presencekit/presencekit/spec"
)

func TestConfigLayers(t *testing.T) {
	file := filepath.Join(t.TempDir(), "conform.yaml")
	if err := os.WriteFile(file, []byte("target: http://from-file\norg: fileorg\napp: fileapp\ntimeout: 3s\ntest_users: [a, b]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	b := Bind(fs)
	if err := fs.Parse([]string{"--config", file, "--app", "flagapp", "--level", "must"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PRESENCE_ORG": "envorg", "PRESENCE_APP": "envapp", "PRESENCE_TOKEN": "s3cret", "PRESENCE_CLOCK_SKEW": "9s"}
	cfg, err := b.Resolve(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"target from the file", cfg.Target, "http://from-file"},
		{"org: env beats file", cfg.Org, "envorg"},
		{"app: flag beats env", cfg.App, "flagapp"},
		{"level from the flag", cfg.Level, "must"},
		{"report dir default", cfg.ReportDir, DefaultReportDir},
		{"users from the file", strings.Join(cfg.Users, ","), "a,b"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if cfg.Timeout != 3*time.Second || cfg.ClockSkew != 9*time.Second {
		t.Errorf("durations: timeout %s, skew %s", cfg.Timeout, cfg.ClockSkew)
	}
	if r := cfg.Redacted(); r.Token != "REDACTED" || cfg.Token != "s3cret" || r.ClientSecret != "" {
		t.Errorf("Redacted: token %q (original %q), empty secret %q", r.Token, cfg.Token, r.ClientSecret)
	}
}

func TestConfigRefusals(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
	}{
		{args: []string{"--level", "may"}},
		{args: []string{"--strict-types", "float"}},
		{args: []string{"--timeout", "soon"}},
		{env: map[string]string{"PRESENCE_GROUP_ONLINE": "three"}},
		{args: []string{"--config", "/nonexistent/conform.yaml"}},
		{args: []string{"--org", ""}},
	}
	for _, c := range cases {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		b := Bind(fs)
		if err := fs.Parse(c.args); err != nil {
			continue // a value of the wrong type is refused as the flag is parsed
		}
		_, err := b.Resolve(func(k string) string { return c.env[k] })
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%v %v: got %v, want ErrConfig", c.args, c.env, err)
		}
	}
}

func TestUnknownYAMLKeyRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte("targt: http://typo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	b := Bind(fs)
	_ = fs.Parse([]string{"--config", file})
	if _, err := b.Resolve(func(string) string { return "" }); !errors.Is(err, ErrConfig) {
		t.Errorf("a misspelt key must be refused, got %v", err)
	}
}

func TestWithUserPrefixIsRandomPerRun(t *testing.T) {
	a, b := Defaults().WithUserPrefix(), Defaults().WithUserPrefix()
	if a.UserPrefix == "" || a.UserPrefix == b.UserPrefix {
		t.Errorf("prefixes %q and %q", a.UserPrefix, b.UserPrefix)
	}
	if c := (Config{UserPrefix: "mine"}).WithUserPrefix(); c.UserPrefix != "mine" {
		t.Errorf("a given prefix was replaced: %q", c.UserPrefix)
	}
}

// TestBlameReadsTheRecordedRule: the rule blamed is the one the failing
// check recorded as data, whatever the message says; without one, the
// spec's main rule.
func TestBlameReadsTheRecordedRule(t *testing.T) {
	entry := func(v any) types.ReportEntry {
		return types.ReportEntry{Name: entryRule, Value: types.WrapEntryValue(v)}
	}
	labels := []string{"level:MUST", "op:x", RuleLabel(spec.RuleSubSelf), RuleLabel(spec.RuleSchemaResponse)}
	if got := blameOf(types.ReportEntries{entry(spec.RuleErrEnvelope)}, labels); got != spec.RuleErrEnvelope {
		t.Errorf("blame = %q, want the recorded rule", got)
	}
	first := types.ReportEntries{entry(spec.RuleSubLimitUsers), entry(spec.RuleSchemaResponse)}
	if got := blameOf(first, labels); got != spec.RuleSubLimitUsers {
		t.Errorf("blame = %q, want the first recorded rule (the failure Ginkgo reports)", got)
	}
	if got := blameOf(nil, labels); got != spec.RuleSubSelf {
		t.Errorf("blame without a recorded rule = %q, want the spec's main rule", got)
	}
	if got := blameOf(types.ReportEntries{entry("NOT-A-RULE")}, nil); got != "" {
		t.Errorf("blame of an unknown recorded ID = %q, want none", got)
	}
}

func TestBadFlagValueRefusedAtParse(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Bind(fs)
	if err := fs.Parse([]string{"--timeout", "soon"}); err == nil {
		t.Error("--timeout soon parsed")
	}
	if err := fs.Parse([]string{"--group-online", "x"}); err == nil {
		t.Error("--group-online x parsed")
	}
}
