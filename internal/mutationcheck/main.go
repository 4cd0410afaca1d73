// Command mutationcheck reads the JSON report of a gremlins run (make
// mutation), prints the mutation score, and fails when a mutant survived
// that the checked-in list of equivalent mutants does not name.
//
// The list (docs/mutation-equivalent.tsv) is keyed by what survives an edit
// elsewhere in the file: the file, the mutator, the mutated line's code
// (trimmed) and the column within that code. The line number is kept for
// the reader only, so a list written against one commit still matches after
// lines above move.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// report is the part of gremlins' -o output this command reads.
type report struct {
	Files []struct {
		Name      string `json:"file_name"`
		Mutations []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"mutations"`
	} `json:"files"`
	Elapsed float64 `json:"elapsed_time"`
}

// key identifies a mutant across edits that move its line.
type key struct {
	file, typ, code string
	col             int
}

// entry is one line of the equivalent list.
type entry struct {
	key
	line   int
	reason string
}

// survivor is a mutant the suite did not kill.
type survivor struct {
	key
	line int
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mutationcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	reportPath := fs.String("report", "reports/mutation.json", "gremlins' JSON report (unleash -o)")
	equivPath := fs.String("equivalent", "docs/mutation-equivalent.tsv", "the equivalent mutants, one a line: file, line, mutator, column in code, code, reason (tab-separated)")
	src := fs.String("src", "mock", "the directory the report's file names are relative to")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rep, err := readReport(*reportPath)
	if err != nil {
		fmt.Fprintln(stderr, "mutationcheck:", err)
		return 2
	}
	equiv, err := readEquivalent(*equivPath)
	if err != nil {
		fmt.Fprintln(stderr, "mutationcheck:", err)
		return 2
	}
	counts, survivors, err := tally(rep, *src)
	if err != nil {
		fmt.Fprintln(stderr, "mutationcheck:", err)
		return 2
	}
	listed := map[key]entry{}
	for _, e := range equiv {
		listed[e.key] = e
	}
	var open []survivor
	used := map[key]bool{}
	for _, s := range survivors {
		if _, ok := listed[s.key]; ok {
			used[s.key] = true
			continue
		}
		open = append(open, s)
	}
	equivalent := len(survivors) - len(open)
	detected := counts["KILLED"] + counts["TIMED OUT"]
	fmt.Fprintf(stdout, "mutation analysis: %d killed, %d timed out, %d survived (%d equivalent, %d not), %d not viable, %d not covered, in %.0f s\n",
		counts["KILLED"], counts["TIMED OUT"], len(survivors), equivalent, len(open), counts["NOT VIABLE"], counts["NOT COVERED"], rep.Elapsed)
	fmt.Fprintf(stdout, "mutation score: %s (killed or timed out, of the covered mutants not equivalent); %s before setting the equivalent ones aside\n",
		percent(detected, detected+len(open)), percent(detected, detected+len(survivors)))
	inReport := map[string]bool{}
	for _, f := range rep.Files {
		inReport[f.Name] = true
	}
	for _, e := range equiv {
		// A run over some files (MUTATION_FILES) says nothing of the others.
		if !used[e.key] && inReport[e.file] {
			fmt.Fprintf(stdout, "note: listed as equivalent but not a survivor of this run: %s:%d %s %q\n", e.file, e.line, e.typ, e.code)
		}
	}
	if len(open) == 0 {
		return 0
	}
	fmt.Fprintf(stdout, "%d surviving mutants are neither killed by the suite nor listed in %s:\n", len(open), *equivPath)
	for _, s := range open {
		fmt.Fprintf(stdout, "%s\t%d\t%s\t%d\t%s\n", s.file, s.line, s.typ, s.col, s.code)
	}
	return 1
}

func percent(n, of int) string {
	if of == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*float64(n)/float64(of), n, of)
}

func readReport(path string) (report, error) {
	var rep report
	data, err := os.ReadFile(path)
	if err != nil {
		return rep, fmt.Errorf("the gremlins report: %w", err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return rep, fmt.Errorf("the gremlins report %s: %w", path, err)
	}
	return rep, nil
}

// tally counts the mutants by status and keys the survivors by their code.
func tally(rep report, src string) (map[string]int, []survivor, error) {
	counts := map[string]int{}
	var out []survivor
	lines := map[string][]string{}
	for _, f := range rep.Files {
		for _, m := range f.Mutations {
			counts[m.Status]++
			if m.Status != "LIVED" {
				continue
			}
			if lines[f.Name] == nil {
				data, err := os.ReadFile(filepath.Join(src, f.Name))
				if err != nil {
					return nil, nil, fmt.Errorf("a survivor's source: %w", err)
				}
				lines[f.Name] = strings.Split(string(data), "\n")
			}
			ls := lines[f.Name]
			if m.Line < 1 || m.Line > len(ls) {
				return nil, nil, fmt.Errorf("%s:%d: no such line (the report is older than the source?)", f.Name, m.Line)
			}
			raw := ls[m.Line-1]
			code := strings.TrimLeft(raw, " \t")
			out = append(out, survivor{key: key{file: f.Name, typ: m.Type, code: strings.TrimSpace(code),
				col: m.Column - (len(raw) - len(code))}, line: m.Line})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].file != out[j].file {
			return out[i].file < out[j].file
		}
		return out[i].line < out[j].line
	})
	return counts, out, nil
}

// readEquivalent parses the list: '#' starts a comment line; every other
// non-blank line has six tab-separated fields and a reason that says why
// the mutant cannot be told from the original through the contract.
func readEquivalent(path string) ([]entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("the equivalent list: %w", err)
	}
	defer f.Close()
	var out []entry
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, "\t")
		if len(fields) != 6 || strings.TrimSpace(fields[5]) == "" {
			return nil, fmt.Errorf("%s:%d: want file, line, mutator, column, code, reason (tab-separated, reason not empty)", path, n)
		}
		line, err1 := strconv.Atoi(fields[1])
		col, err2 := strconv.Atoi(fields[3])
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, entry{key: key{file: fields[0], typ: fields[2], col: col, code: strings.TrimSpace(fields[4])},
			line: line, reason: fields[5]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}
