package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fixture writes a source file, a gremlins report with one killed and one
// surviving mutant at line:col of the source (col counts the indent, as
// gremlins does), and an equivalent list.
func fixture(t *testing.T, src string, line, col int, list string) []string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	report := `{"files":[{"file_name":"a.go","mutations":[
		{"type":"CONDITIONALS_BOUNDARY","status":"KILLED","line":1,"column":1},
		{"type":"CONDITIONALS_NEGATION","status":"LIVED","line":` + strconv.Itoa(line) + `,"column":` + strconv.Itoa(col) + `},
		{"type":"ARITHMETIC_BASE","status":"NOT COVERED","line":1,"column":1}]}],"elapsed_time":3}`
	if err := os.WriteFile(filepath.Join(dir, "r.json"), []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "eq.tsv"), []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"-report", filepath.Join(dir, "r.json"), "-equivalent", filepath.Join(dir, "eq.tsv"), "-src", dir}
}

const listedEntry = "# comment\na.go\t2\tCONDITIONALS_NEGATION\t7\tif x < y {\tonly a log line sees it\n"

// TestUnlistedSurvivorFails: a survivor the list does not name fails the
// run (exit 1) and is printed; the score counts it.
func TestUnlistedSurvivorFails(t *testing.T) {
	args := fixture(t, "package a\n\tif x < y {\n", 2, 8, "# nothing listed\n")
	var out, errOut bytes.Buffer
	if code := run(args, &out, &errOut); code != 1 {
		t.Fatalf("exit %d, want 1; %s%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"1 killed", "1 survived (0 equivalent, 1 not)", "1 not covered", "50.0% (1/2)", "a.go\t2\tCONDITIONALS_NEGATION\t7\tif x < y {"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestListedSurvivorMatchesAfterLinesMove: the list matches by code and
// column within the code, so a survivor listed at line 2 still matches at
// line 4, indented deeper, and the run passes with it set aside.
func TestListedSurvivorMatchesAfterLinesMove(t *testing.T) {
	args := fixture(t, "package a\n\n\n\t\tif x < y {\n", 4, 9, listedEntry)
	var out, errOut bytes.Buffer
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d, want 0; %s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "100.0% (1/1)") || !strings.Contains(out.String(), "(1 equivalent, 0 not)") {
		t.Errorf("score:\n%s", out.String())
	}
}

// TestBadListIsUsageError: an entry without a reason is refused (exit 2):
// every equivalent mutant must say why.
func TestBadListIsUsageError(t *testing.T) {
	args := fixture(t, "package a\n\tif x < y {\n", 2, 8, "a.go\t2\tCONDITIONALS_NEGATION\t7\tif x < y {\t \n")
	var out, errOut bytes.Buffer
	if code := run(args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "reason") {
		t.Fatalf("exit %d, want 2 naming the missing reason; %s", code, errOut.String())
	}
}

// TestStaleEntriesNotedOnlyForReportedFiles: an entry that matched no
// survivor is noted when its file was in the run, and not when the run
// covered other files only (make mutation MUTATION_FILES=…).
func TestStaleEntriesNotedOnlyForReportedFiles(t *testing.T) {
	list := listedEntry + "a.go\t9\tARITHMETIC_BASE\t3\tn := 1 + 2\tgone since\n" +
		"b.go\t9\tARITHMETIC_BASE\t3\tn := 1 + 2\tanother file\n"
	args := fixture(t, "package a\n\tif x < y {\n", 2, 8, list)
	var out, errOut bytes.Buffer
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d, want 0; %s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), `note: listed as equivalent but not a survivor of this run: a.go:9`) {
		t.Errorf("no note for the stale entry of a.go:\n%s", out.String())
	}
	if strings.Contains(out.String(), "b.go") {
		t.Errorf("a note for b.go, which the run did not cover:\n%s", out.String())
	}
}
