package main

// Tests of the GitHub Action (action.yml at the repository root) that
// actionlint cannot do: it checks the action only through a workflow that
// uses it (the inputs given), not the action's own steps.

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/presencekit/presencekit/suites"
)

type actionStep struct {
	Name  string            `yaml:"name"`
	ID    string            `yaml:"id"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
	With  map[string]string `yaml:"with"`
}

type action struct {
	Inputs map[string]struct {
		Description string `yaml:"description"`
		Default     string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

func readAction(t *testing.T) action {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a action
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&a); err != nil {
		t.Fatal(err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using %q, want composite", a.Runs.Using)
	}
	return a
}

var inputRef = regexp.MustCompile(`\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}`)

// No expression is ever pasted into a script: a value (a secret, or text an
// attacker controls) reaches a run step only through its environment, so it
// is neither on a command line nor interpreted by the shell.
func TestActionPassesValuesOnlyThroughEnv(t *testing.T) {
	a := readAction(t)
	used := map[string]bool{}
	for _, s := range a.Runs.Steps {
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %q: an expression inside run:, pass it through env instead", s.Name)
		}
		if s.Run != "" && s.Shell != "bash" {
			t.Errorf("step %q: shell %q, want bash (the scripts use bash arrays)", s.Name, s.Shell)
		}
		texts := []string{s.If, s.Name}
		for _, v := range s.Env {
			texts = append(texts, v)
		}
		for _, v := range s.With {
			texts = append(texts, v)
		}
		for _, txt := range texts {
			for _, m := range inputRef.FindAllStringSubmatch(txt, -1) {
				used[m[1]] = true
			}
		}
		for _, m := range regexp.MustCompile(`inputs\.([A-Za-z0-9_-]+)`).FindAllStringSubmatch(s.If, -1) {
			used[m[1]] = true
		}
	}
	for name := range a.Inputs {
		if !used[name] {
			t.Errorf("input %q is declared but never used", name)
		}
		delete(used, name)
	}
	for name := range used {
		t.Errorf("inputs.%s is used but not declared", name)
	}
	for _, want := range []string{"target", "org", "app", "token", "client-id", "client-secret", "profile", "level", "label-filter", "args", "version"} {
		if _, ok := a.Inputs[want]; !ok {
			t.Errorf("action.yml lacks the input %q", want)
		}
	}
}

// The conform step's PRESENCE_* variables are the ones conform reads, and
// the secrets go to PRESENCE_TOKEN and PRESENCE_CLIENT_SECRET.
func TestActionConformEnvMatchesConfig(t *testing.T) {
	a := readAction(t)
	i := slices.IndexFunc(a.Runs.Steps, func(s actionStep) bool { return s.ID == "conform" })
	if i < 0 {
		t.Fatal("no step with id conform")
	}
	step := a.Runs.Steps[i]
	known := map[string]bool{}
	ct := reflect.TypeOf(suites.Config{})
	for j := range ct.NumField() {
		known[suites.EnvPrefix+ct.Field(j).Tag.Get("env")] = true
	}
	for name := range step.Env {
		if strings.HasPrefix(name, suites.EnvPrefix) && !known[name] {
			t.Errorf("conform step sets %s, which conform does not read", name)
		}
	}
	for env, input := range map[string]string{"PRESENCE_TOKEN": "token", "PRESENCE_CLIENT_SECRET": "client-secret", "PRESENCE_CLIENT_ID": "client-id", "PRESENCE_TARGET": "target"} {
		if got := step.Env[env]; got != "${{ inputs."+input+" }}" {
			t.Errorf("conform step: %s = %q, want the input %s", env, got, input)
		}
	}
	if !strings.Contains(step.Run, "presencekit conform") {
		t.Errorf("the conform step does not run presencekit conform:\n%s", step.Run)
	}
}

// The example workflow docs/conformance.md shows is the file make lint
// checks with actionlint.
func TestConformanceDocsShowTheLintedExample(t *testing.T) {
	root := repoRoot(t)
	example, err := os.ReadFile(filepath.Join(root, "docs", "examples", "conformance.yml"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "conformance.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```yaml\n"+string(example)+"```\n") {
		t.Error("docs/conformance.md does not show docs/examples/conformance.yml verbatim in a yaml block")
	}
}
