package settings

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type sample struct {
	Target string        `yaml:"target" env:"TARGET" flag:"target" help:"where"`
	Token  string        `yaml:"token" env:"TOKEN" flag:"token" help:"secret token" secret:"true"`
	Rate   float64       `yaml:"rate" env:"RATE" flag:"rate" help:"per second"`
	N      uint64        `yaml:"n" env:"N" flag:"n" help:"count"`
	Users  int           `yaml:"users" env:"USERS" flag:"users" help:"population"`
	Wait   time.Duration `yaml:"wait" env:"WAIT" flag:"wait" help:"pause"`
	Verify bool          `yaml:"verify" env:"VERIFY" flag:"verify" help:"check"`
	List   []string      `yaml:"list" env:"LIST" flag:"list" help:"repeatable"`
	File   string        `yaml:"-" env:"CONFIG" flag:"config" help:"YAML file"`
}

var opts = Options{EnvPrefix: "T_", FileFlag: "config"}

func resolve(t *testing.T, args []string, env map[string]string) (sample, map[string]Source, error) {
	t.Helper()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	b := Bind(fs, sample{Users: 10, Wait: time.Second, Token: "default-secret"}, opts)
	if err := fs.Parse(args); err != nil {
		return sample{}, nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var s sample
	given, err := b.Resolve(&s, func(k string) string { return env[k] }, func(n string) bool { return set[n] })
	return s, given, err
}

func TestLayersInOrder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte("target: http://file\nrate: 5\nusers: 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, given, err := resolve(t, []string{"--config", file, "--users", "9", "--verify", "--list", "a,b", "--list", "c"},
		map[string]string{"T_RATE": "6.5", "T_N": "3", "T_TARGET": ""})
	if err != nil {
		t.Fatal(err)
	}
	if s.Target != "http://file" || s.Rate != 6.5 || s.Users != 9 || s.N != 3 || s.Wait != time.Second || !s.Verify {
		t.Errorf("resolved %+v", s)
	}
	if strings.Join(s.List, "|") != "a|b|c" {
		t.Errorf("a repeated list flag keeps every value: %q", s.List)
	}
	want := map[string]Source{"target": FromFile, "rate": FromEnv, "users": FromFlag, "n": FromEnv, "verify": FromFlag, "list": FromFlag, "config": FromFlag}
	for k, v := range want {
		if given[k] != v {
			t.Errorf("given[%s] = %q, want %q", k, given[k], v)
		}
	}
	if _, ok := given["wait"]; ok {
		t.Error("a default is reported as given")
	}
}

func TestErrorsNameTheLayer(t *testing.T) {
	cases := []struct {
		args  []string
		env   map[string]string
		where string
	}{
		{env: map[string]string{"T_RATE": "fast"}, where: "T_RATE"},
		{env: map[string]string{"T_WAIT": "-"}, where: "T_WAIT"},
		{args: []string{"--config", "/nonexistent/c.yaml"}, where: "--config"},
	}
	for _, c := range cases {
		_, _, err := resolve(t, c.args, c.env)
		var se *Error
		if !errors.As(err, &se) || se.Where != c.where {
			t.Errorf("%v %v: got %v, want an error at %s", c.args, c.env, err, c.where)
		}
	}
	if _, _, err := resolve(t, []string{"--n", "-1"}, nil); err == nil {
		t.Error("--n -1 parsed into a uint64")
	}
}

func TestUnknownKeyRefusedEmptyFileAccepted(t *testing.T) {
	dir := t.TempDir()
	bad, empty := filepath.Join(dir, "bad.yaml"), filepath.Join(dir, "empty.yaml")
	_ = os.WriteFile(bad, []byte("targt: x\n"), 0o600)
	_ = os.WriteFile(empty, nil, 0o600)
	if _, _, err := resolve(t, nil, map[string]string{"T_CONFIG": bad}); err == nil {
		t.Error("a misspelt key was accepted")
	}
	if _, _, err := resolve(t, []string{"--config", empty}, nil); err != nil {
		t.Errorf("an empty file: %v", err)
	}
}

// Regression: `PRESENCE_TOKEN=x presencekit load --help` printed x as the
// flag's default. Defaults shown are the code's, and never a secret's.
func TestHelpNeverShowsSecretsOrEnvironment(t *testing.T) {
	t.Setenv("T_TOKEN", "marker-from-env")
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var help strings.Builder
	fs.SetOutput(&help)
	Bind(fs, sample{Token: "marker-default", Users: 10}, opts)
	fs.PrintDefaults()
	if strings.Contains(help.String(), "marker") {
		t.Errorf("help shows a secret:\n%s", help.String())
	}
	if !strings.Contains(help.String(), "(env T_TOKEN)") || !strings.Contains(help.String(), "default 10") {
		t.Errorf("help lacks the variable or a default:\n%s", help.String())
	}
}

func TestRedactedAndSecrets(t *testing.T) {
	s := sample{Target: "t", Token: "tok"}
	if r := Redacted(s); r.Token != Mask || r.Target != "t" || s.Token != "tok" {
		t.Errorf("Redacted: %+v (original %+v)", r, s)
	}
	if got := Secrets(s); len(got) != 1 || got[0] != "tok" {
		t.Errorf("Secrets = %q", got)
	}
	if r := Redacted(sample{}); r.Token != "" {
		t.Errorf("an empty secret became %q", r.Token)
	}
}

// Fields of other integer, float and named types parse by their kind, so
// a settings struct can grow without touching the binder.
func TestKindsParse(t *testing.T) {
	type level string
	type more struct {
		Max   int64   `env:"MAX" flag:"max"`
		Ratio float32 `env:"RATIO" flag:"ratio"`
		Level level   `env:"LEVEL" flag:"level"`
		Small uint8   `env:"SMALL" flag:"small"`
		Codes []int   `env:"CODES" flag:"codes"`
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	b := Bind(fs, more{}, Options{EnvPrefix: "T_"})
	env := map[string]string{"T_MAX": "9000000000", "T_RATIO": "0.5", "T_LEVEL": "must", "T_SMALL": "7", "T_CODES": "503, 502,"}
	var m more
	if _, err := b.Resolve(&m, func(k string) string { return env[k] }, func(string) bool { return false }); err != nil {
		t.Fatal(err)
	}
	if m.Max != 9e9 || m.Ratio != 0.5 || m.Level != "must" || m.Small != 7 || len(m.Codes) != 2 || m.Codes[0] != 503 || m.Codes[1] != 502 {
		t.Errorf("parsed %+v", m)
	}
	if typ := fs.Lookup("codes").Value.(interface{ Type() string }).Type(); typ != "ints" {
		t.Errorf("--codes shows its type as %q, want ints", typ)
	}
	for k, bad := range map[string]string{"T_SMALL": "300", "T_CODES": "503,x"} {
		env := map[string]string{k: bad}
		if _, err := b.Resolve(&m, func(k string) string { return env[k] }, func(string) bool { return false }); err == nil {
			t.Errorf("%s=%s was accepted", k, bad)
		}
	}
}
