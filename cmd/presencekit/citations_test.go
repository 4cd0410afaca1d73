package main

import (
	"bytes"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/presencekit/presencekit/spec"
)

// moduleRoot is the module root, seen from this package's directory.
const moduleRoot = "../.."

// Citations outside the repository that the project must never make: the
// design notes and vendor copies it was built from are not shipped, so a
// reader cannot follow them. The patterns are split so this file does not
// match itself.
var foreignCitation = regexp.MustCompile(`DESI` + `GN\.md|DESI` + `GN decision|DESI` + `GN target|see` + `ds/`)

// repoPath finds what looks like a path inside the repository: at least one
// directory, a known extension, an optional #anchor; not part of a URL
// (those are preceded by "/" or ":").
var repoPath = regexp.MustCompile("(?:^|[\\s(`'\"\\[])((?:\\.{1,2}/)*(?:[A-Za-z0-9_.-]+/)+[A-Za-z0-9_.-]+\\.(?:md|go|yaml|yml|sh|json|png|html|txt|mod))(?:#([A-Za-z0-9_-]+))?")

// findPaths is repoPath.FindAllSubmatchIndex over data, run only on the
// lines that can match (a slash and a known extension): the regexp over
// every byte of the repository was this test's cost under -race.
func findPaths(data []byte) [][]int {
	var found [][]int
	for at := 0; at < len(data); {
		end := bytes.IndexByte(data[at:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += at
		}
		line := data[at:end]
		if bytes.IndexByte(line, '/') >= 0 && citableExt.Match(line) {
			for _, m := range repoPath.FindAllSubmatchIndex(line, -1) {
				for i := range m {
					if m[i] >= 0 {
						m[i] += at
					}
				}
				found = append(found, m)
			}
		}
		at = end + 1
	}
	return found
}

// citableExt is the cheap test findPaths runs first.
var citableExt = regexp.MustCompile(`\.(?:md|go|yaml|yml|sh|json|png|html|txt|mod)\b`)

// mdLink finds a relative Markdown link target.
var mdLink = regexp.MustCompile(`\]\(([^)\s:#]+\.[a-z]+)(?:#([A-Za-z0-9_-]+))?\)`)

// anchorID finds an explicit anchor in a Markdown file.
var anchorID = regexp.MustCompile(`<a id="([^"]+)"></a>`)

// textFiles lists the repository's text files (relative, slash-separated),
// skipping what is built or generated (bin, reports) and binaries.
func textFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(moduleRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(moduleRoot, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch rel {
			case ".git", "bin", "dist", "reports", "node_modules": // not shipped: .gitignore
				return filepath.SkipDir
			}
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		// go.sum and vendored minified code are not ours to cite from.
		if rel != "go.sum" && !strings.HasSuffix(rel, ".min.js") && bytes.IndexByte(data, 0) < 0 {
			files[rel] = data
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := files["docs/contract.md"]; !ok || len(files) < 20 {
		t.Fatalf("walked %d files from %s without docs/contract.md: wrong root?", len(files), moduleRoot)
	}
	return files
}

// anchors returns the explicit anchors of a Markdown file.
func anchors(data []byte) map[string]bool {
	ids := map[string]bool{}
	for _, m := range anchorID.FindAllSubmatch(data, -1) {
		ids[string(m[1])] = true
	}
	return ids
}

// TestCitationsResolve walks every text file of the repository: none cites
// a file the repository does not ship, every path it names exists, and
// every anchor into docs/contract.md (or another Markdown file with
// explicit anchors) exists.
func TestCitationsResolve(t *testing.T) {
	t.Parallel() // CPU only: overlaps the tests that wait on a pacer
	files := textFiles(t)
	exists := func(p string) bool {
		if _, ok := files[p]; ok {
			return true
		}
		_, err := os.Stat(filepath.Join(moduleRoot, filepath.FromSlash(p)))
		return err == nil
	}
	anchorsOf := map[string]map[string]bool{}
	checkAnchor := func(where, target, anchor string) {
		if anchor == "" || !strings.HasSuffix(target, ".md") {
			return
		}
		ids, ok := anchorsOf[target]
		if !ok {
			ids = anchors(files[target])
			anchorsOf[target] = ids
		}
		if len(ids) > 0 && !ids[anchor] {
			t.Errorf("%s: %s#%s: no such anchor", where, target, anchor)
		}
	}
	for name, data := range files {
		// Each regexp makes one pass over the whole file (a call per line
		// was most of this test's cost under -race); lines are counted
		// for the messages only.
		where := func(at int) string {
			return name + ":" + strconv.Itoa(bytes.Count(data[:at], []byte("\n"))+1)
		}
		for _, at := range foreignCitation.FindAllIndex(data, -1) {
			t.Errorf("%s: cites %q, which the repository does not ship: cite docs/contract.md#dN or the vendor's URL",
				where(at[0]), data[at[0]:at[1]])
		}
		for _, m := range findPaths(data) {
			cited, anchor := string(data[m[2]:m[3]]), ""
			if m[4] >= 0 {
				anchor = string(data[m[4]:m[5]])
			}
			if strings.HasPrefix(cited, "reports/") || strings.HasPrefix(cited, "bin/") {
				continue // what the tools write, not what the repository ships
			}
			p := path.Clean(cited)
			if strings.HasPrefix(cited, ".") || strings.HasSuffix(name, ".md") && !exists(p) {
				p = path.Join(path.Dir(name), p) // a path relative to the file
			}
			if !exists(p) {
				t.Errorf("%s: %q names a path the repository does not have", where(m[0]), cited)
				continue
			}
			if !strings.HasSuffix(name, ".go") { // Go code builds anchors from parts; the rules are checked below
				checkAnchor(where(m[0]), p, anchor)
			}
		}
		if !strings.HasSuffix(name, ".md") {
			continue
		}
		for _, m := range mdLink.FindAllSubmatchIndex(data, -1) {
			linked, anchor := string(data[m[2]:m[3]]), ""
			if m[4] >= 0 {
				anchor = string(data[m[4]:m[5]])
			}
			p := path.Join(path.Dir(name), linked)
			if !exists(p) {
				t.Errorf("%s: link to %q, which the repository does not have", where(m[0]), linked)
				continue
			}
			checkAnchor(where(m[0]), p, anchor)
		}
	}
	ids := anchors(files["docs/contract.md"])
	decision := regexp.MustCompile(`docs/contract\.md#(d[0-9]+)`)
	for _, r := range spec.Rules() {
		for _, m := range decision.FindAllStringSubmatch(r.Source, -1) {
			if !ids[m[1]] {
				t.Errorf("rule %s cites docs/contract.md#%s, which does not exist", r.ID, m[1])
			}
		}
		if foreignCitation.MatchString(r.Source) {
			t.Errorf("rule %s cites a file the repository does not ship: %s", r.ID, r.Source)
		}
	}
}

// TestContractDecisionsNumbered pins the anchors others cite: d1 to d16, in
// order, each with its reasoning and the pages it rests on.
func TestContractDecisionsNumbered(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(moduleRoot, "docs", "contract.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := anchorID.Split(string(data), -1)[1:]
	ids := anchorID.FindAllStringSubmatch(string(data), -1)
	if len(ids) != 16 {
		t.Fatalf("docs/contract.md has %d decisions, want 16", len(ids))
	}
	for i, m := range ids {
		want := "d" + strconv.Itoa(i+1)
		if m[1] != want {
			t.Errorf("decision %d has anchor %q, want %q", i+1, m[1], want)
		}
		s := sections[i]
		if !strings.Contains(s, "\nWhy: ") || !strings.Contains(s, "\nRests on: ") {
			t.Errorf("decision %s lacks its reasoning (Why:) or its sources (Rests on:)", want)
		}
	}
}
