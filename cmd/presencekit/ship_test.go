package main

// Tests of how presencekit is built and shipped: the version stamp, and the
// build flags that `make build`, the Dockerfile and .goreleaser.yaml must
// share (a release binary and an image must be the binary `make build`
// makes).

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// repoRoot is the module root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestChooseVersionPrefersTheStamp(t *testing.T) {
	vcs := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/presencekit/presencekit", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "feedface"},
			{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	tests := []struct {
		name string
		st   stamp
		info *debug.BuildInfo
		want string // the commit line
		ver  string
	}{
		{"release stamp wins over VCS", stamp{"v1.2.3", "c0ffee", "2026-03-04T05:06:07Z"}, vcs, "c0ffee 2026-03-04T05:06:07Z", "v1.2.3"},
		{"no stamp: VCS fallback", stamp{version: "dev"}, vcs, "feedface (modified) 2026-01-02T03:04:05Z", "dev"},
		{"stamped date, VCS commit", stamp{version: "dev", date: "2026-03-04T05:06:07Z"}, vcs, "feedface (modified) 2026-03-04T05:06:07Z", "dev"},
		{"nothing at all", stamp{}, nil, "unknown (built without VCS information)", "dev"},
		{"go install module@version", stamp{version: "dev"}, &debug.BuildInfo{Main: debug.Module{Version: "v0.9.0"}}, "unknown (built without VCS information)", "v0.9.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := printVersion(&b, chooseVersion(tt.st, tt.info)); err != nil {
				t.Fatal(err)
			}
			want := "presencekit " + tt.ver + "\ngo:     " + runtime.Version() + "\ncommit: " + tt.want + "\n"
			if b.String() != want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), want)
			}
		})
	}
}

// goCall is one invocation of the go command: its arguments and the
// CGO_ENABLED it saw.
type goCall struct {
	args []string
	cgo  string
}

// fakeGo installs a stand-in go command that records its arguments and
// CGO_ENABLED into dir/call, so a recipe (make's, the Dockerfile's) can run
// for real through make or sh and the test sees exactly what go would get.
func fakeGo(t *testing.T) (bin string, read func() goCall) {
	t.Helper()
	dir := t.TempDir()
	bin = filepath.Join(dir, "go")
	script := "#!/bin/sh\nprintf '%s\\n' \"${CGO_ENABLED-unset}\" > " + dir + "/cgo\nprintf '%s\\0' \"$@\" > " + dir + "/call\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, func() goCall {
		t.Helper()
		args, err := os.ReadFile(filepath.Join(dir, "call"))
		if err != nil {
			t.Fatalf("the recipe never called go: %v", err)
		}
		cgo, _ := os.ReadFile(filepath.Join(dir, "cgo"))
		return goCall{args: strings.Split(strings.TrimSuffix(string(args), "\x00"), "\x00"), cgo: strings.TrimSpace(string(cgo))}
	}
}

// Fixed stamp values, so the three recipes can be compared word for word.
const (
	testVersion = "v9.8.7"
	testCommit  = "0123456789abcdef0123456789abcdef01234567"
	testDate    = "2026-05-06T07:08:09Z"
)

// makeBuildCall runs `make build` with a fake go and returns the call.
func makeBuildCall(t *testing.T) goCall {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	bin, read := fakeGo(t)
	cmd := exec.Command("make", "--no-print-directory", "build", "GO="+bin, "BIN=out/presencekit",
		"VERSION="+testVersion, "COMMIT="+testCommit, "DATE="+testDate)
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	return read()
}

// withoutOutput drops "-o FILE", the one argument the recipes may differ in.
func withoutOutput(args []string) []string {
	if i := slices.Index(args, "-o"); i >= 0 && i+1 < len(args) {
		return slices.Concat(args[:i], args[i+2:])
	}
	return args
}

func TestMakeBuildIsStaticTrimmedAndStamped(t *testing.T) {
	c := makeBuildCall(t)
	want := []string{"build", "-trimpath", "-ldflags",
		"-s -w -X main.version=" + testVersion + " -X main.commit=" + testCommit + " -X main.date=" + testDate,
		"./cmd/presencekit"}
	if got := withoutOutput(c.args); !slices.Equal(got, want) || c.cgo != "0" {
		t.Errorf("make build runs CGO_ENABLED=%s go %q\nwant CGO_ENABLED=0 go %q", c.cgo, got, want)
	}
}

// dockerRun returns the Dockerfile's RUN instruction that calls go build,
// continuation lines joined, without RUN's own --mount options.
func dockerRun(t *testing.T, dockerfile string) string {
	t.Helper()
	joined := strings.ReplaceAll(dockerfile, "\\\n", " ")
	for _, line := range strings.Split(joined, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "RUN ")
		if !ok || !strings.Contains(rest, "go build") {
			continue
		}
		fields := strings.Fields(rest)
		for len(fields) > 0 && strings.HasPrefix(fields[0], "--mount=") {
			fields = fields[1:]
		}
		return strings.Join(fields, " ")
	}
	t.Fatal("Dockerfile: no RUN instruction runs go build")
	return ""
}

func TestDockerfileBuildsLikeMake(t *testing.T) {
	root := repoRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	run := dockerRun(t, string(src))
	bin, read := fakeGo(t)
	// The build arguments as `make image` passes them, and a cross build
	// as BuildKit sets it up for another platform.
	cmd := exec.Command("sh", "-c", run)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"),
		"VERSION="+testVersion, "COMMIT="+testCommit, "DATE="+testDate, "TARGETOS=linux", "TARGETARCH=arm64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sh -c %q: %v\n%s", run, err, out)
	}
	docker, mk := read(), makeBuildCall(t)
	if !slices.Equal(withoutOutput(docker.args), withoutOutput(mk.args)) || docker.cgo != mk.cgo {
		t.Errorf("the Dockerfile's build differs from make build's:\ndocker: CGO_ENABLED=%s go %q\nmake:   CGO_ENABLED=%s go %q",
			docker.cgo, withoutOutput(docker.args), mk.cgo, withoutOutput(mk.args))
	}
	for _, want := range []string{"FROM ${BASE} AS release", "ARG BASE=gcr.io/distroless/static-debian12:nonroot",
		`ENTRYPOINT ["/usr/local/bin/presencekit"]`, "USER nonroot:nonroot"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

// goreleaserBuild is the part of .goreleaser.yaml's build this test reads.
type goreleaserBuild struct {
	Main    string   `yaml:"main"`
	Env     []string `yaml:"env"`
	Flags   []string `yaml:"flags"`
	Ldflags []string `yaml:"ldflags"`
	Goos    []string `yaml:"goos"`
	Goarch  []string `yaml:"goarch"`
}

func TestGoreleaserBuildsLikeMake(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot(t), ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Version int               `yaml:"version"`
		Builds  []goreleaserBuild `yaml:"builds"`
	}
	if err := yaml.Unmarshal(src, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Version != 2 || len(cfg.Builds) != 1 {
		t.Fatalf(".goreleaser.yaml: version %d, %d builds; want version 2, one build", cfg.Version, len(cfg.Builds))
	}
	b := cfg.Builds[0]
	// GoReleaser's Version has no "v"; the stamp adds it, as git tags have.
	tmpl := strings.NewReplacer("v{{ .Version }}", testVersion, "{{ .FullCommit }}", testCommit, "{{ .CommitDate }}", testDate)
	got := []string{"build"}
	got = append(got, b.Flags...)
	got = append(got, "-ldflags", tmpl.Replace(strings.Join(b.Ldflags, " ")), b.Main)
	mk := makeBuildCall(t)
	if want := withoutOutput(mk.args); !slices.Equal(got, want) || !slices.Contains(b.Env, "CGO_ENABLED="+mk.cgo) {
		t.Errorf("GoReleaser builds with env %q go %q\nmake build: CGO_ENABLED=%s go %q", b.Env, got, mk.cgo, want)
	}
	if !slices.Equal(b.Goos, []string{"linux", "darwin", "windows"}) || !slices.Equal(b.Goarch, []string{"amd64", "arm64"}) {
		t.Errorf("release platforms %v × %v, want linux/darwin/windows × amd64/arm64", b.Goos, b.Goarch)
	}
}

// buildTests is the environment variable that turns on the tests that
// build the binary (`make release-check` sets it): a cold build of the
// whole module costs minutes of CPU that `make test` should not spend.
const buildTests = "PRESENCEKIT_BUILD_TESTS"

// goBuild builds the CLI with extra go build arguments into a temporary
// directory and returns what its version command prints.
func goBuild(t *testing.T, args ...string) string {
	t.Helper()
	if os.Getenv(buildTests) == "" {
		t.Skip("builds the binary: set " + buildTests + "=1 (make release-check does)")
	}
	bin := filepath.Join(t.TempDir(), "presencekit")
	build := exec.Command("go", slices.Concat([]string{"build", "-o", bin}, args, []string{"./cmd/presencekit"})...)
	build.Dir = repoRoot(t)
	build.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %q: %v\n%s", args, err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("presencekit version: %v", err)
	}
	return string(out)
}

// The -X flags can only set package-level string variables that are
// uninitialised or set to a constant: anything else is silently ignored by
// the linker, and the release would print "dev".
func TestStampVariablesAreSettableByLinker(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "version.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, sp := range gd.Specs {
			vs := sp.(*ast.ValueSpec)
			for i, n := range vs.Names {
				ok := i < len(vs.Values) && isStringLit(vs.Values[i]) || len(vs.Values) == 0 && isIdent(vs.Type, "string")
				found[n.Name] = ok
			}
		}
	}
	mk := makeBuildCall(t)
	for _, m := range regexp.MustCompile(`-X main\.(\w+)=`).FindAllStringSubmatch(strings.Join(mk.args, " "), -1) {
		if !found[m[1]] {
			t.Errorf("-X main.%s: version.go has no package-level string variable %s set to a constant", m[1], m[1])
		}
		delete(found, m[1])
	}
	for _, name := range []string{"version", "commit", "date"} {
		if _, left := found[name]; left {
			t.Errorf("make build does not stamp main.%s", name)
		}
	}
}

func isStringLit(e ast.Expr) bool {
	l, ok := e.(*ast.BasicLit)
	return ok && l.Kind == token.STRING
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// A binary built with make build's flags prints the stamped version and
// commit, whatever the checkout.
func TestReleaseLdflagsStampTheBinary(t *testing.T) {
	mk := makeBuildCall(t)
	args := withoutOutput(mk.args)
	out := goBuild(t, args[1:len(args)-1]...) // between "build" and the package
	want := "presencekit " + testVersion + "\n"
	if !strings.HasPrefix(out, want) || !strings.Contains(out, "\ncommit: "+testCommit+" "+testDate+"\n") {
		t.Errorf("version of a stamped build:\n%s\nwant %q and commit %s %s", out, want, testCommit, testDate)
	}
}

// Without the stamp, a build in a git checkout reports the checkout's
// commit, as the Go toolchain recorded it.
func TestUnstampedBuildFallsBackToVCS(t *testing.T) {
	root := repoRoot(t)
	// The go command finds a repository by a .git directory only: a git
	// worktree's .git file gives a binary without VCS information.
	if fi, err := os.Stat(filepath.Join(root, ".git")); err != nil || !fi.IsDir() {
		t.Skip("no .git directory at the module root (not a checkout, or a git worktree)")
	}
	git := exec.Command("git", "rev-parse", "HEAD")
	git.Dir = root
	head, err := git.Output()
	if err != nil {
		t.Skipf("not a git checkout (or no git): %v", err)
	}
	out := goBuild(t, "-buildvcs=true")
	// Since Go 1.24 the go command also stamps the main module's version
	// from VCS (a pseudo-version naming the commit, or the tag); older
	// toolchains leave "(devel)", which prints as dev.
	commit := string(bytes.TrimSpace(head))
	version := regexp.MustCompile(`^presencekit (dev|v\d+\.\d+\.\d+(-\S*)?` + commit[:12] + `(\+dirty)?|v\d+\.\d+\.\d+(\+dirty)?)\n`)
	if !version.MatchString(out) || !regexp.MustCompile(`\ncommit: `+commit+`( \(modified\))? \d{4}-`).MatchString(out) {
		t.Errorf("version of an unstamped build:\n%s\nwant dev or the VCS version of commit %s", out, head)
	}
}
