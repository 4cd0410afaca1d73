package childtest

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

var child Binary

func TestMain(m *testing.M) {
	code := m.Run()
	child.Remove()
	os.Exit(code)
}

// The child is this package's test binary, built without the race
// detector whatever this one was built with, and runnable; Remove
// deletes it.
func TestBinaryIsThisPackageWithoutRace(t *testing.T) {
	bin, err := child.Path()
	if err != nil {
		t.Fatal(err)
	}
	if bin == os.Args[0] {
		t.Skip("no go command on PATH: the child is this binary")
	}
	again, _ := child.Path()
	if again != bin {
		t.Errorf("second Path %q, first %q: built twice", again, bin)
	}
	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v: %s", err, out)
	}
	if strings.Contains(string(out), "-race=true") {
		t.Errorf("the child was built with -race:\n%s", out)
	}
	if !strings.Contains(string(out), "internal/childtest") {
		t.Errorf("the child is not this package's test binary:\n%s", out)
	}
	list, err := exec.Command(bin, "-test.list", ".").Output()
	if err != nil || !strings.Contains(string(list), "TestBinaryIsThisPackageWithoutRace") {
		t.Errorf("the child does not list this test: %v\n%s", err, list)
	}
	child.Remove()
	if _, err := os.Stat(bin); !os.IsNotExist(err) {
		t.Errorf("after Remove, %s: %v", bin, err)
	}
}

// Command runs the child with GOGC=400 unless this process's environment
// sets GOGC, which it then keeps.
func TestCommandSetsGOGCUnlessSet(t *testing.T) {
	gogc := func() []string {
		cmd, err := child.Command(t.Context(), "-test.run", "^$")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, kv := range cmd.Env {
			if strings.HasPrefix(kv, "GOGC=") {
				got = append(got, kv)
			}
		}
		return got
	}
	t.Setenv("GOGC", "")
	if err := os.Unsetenv("GOGC"); err != nil {
		t.Fatal(err)
	}
	if got := gogc(); len(got) != 1 || got[0] != "GOGC=400" {
		t.Errorf("GOGC unset here: the child's %q, want [GOGC=400]", got)
	}
	t.Setenv("GOGC", "50")
	if got := gogc(); len(got) != 1 || got[0] != "GOGC=50" {
		t.Errorf("GOGC=50 here: the child's %q, want [GOGC=50]", got)
	}
}

// OneP leaves the process on one P, and the environment's setting is what
// a child given OneProc reads.
func TestOneP(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	OneP()
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Errorf("after OneP, GOMAXPROCS is %d", n)
	}
	if k, v, _ := strings.Cut(OneProc, "="); k != "GOMAXPROCS" || v != "1" {
		t.Errorf("OneProc = %q, want GOMAXPROCS=1", OneProc)
	}
}
