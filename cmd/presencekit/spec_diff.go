package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/presencekit/presencekit/spec"
	"github.com/presencekit/presencekit/specdiff"
)

// diffOptions are the flags and arguments of "spec diff".
type diffOptions struct {
	Old, New string // "" would be the embedded spec; "-" standard input
	JSON     bool
	Profiles []string // --profile, once (both sides) or twice (OLD, NEW)
}

func newSpecDiffCmd() *cobra.Command {
	var o diffOptions
	cmd := &cobra.Command{
		Use:   "diff OLD NEW | diff --profile A --profile B",
		Short: "Review a spec change: breaking and non-breaking differences",
		Long: `diff compares two versions of the spec the way clients of the API feel it.

Breaking: an operation, parameter, media type, success response or response
field removed; a new required parameter, body or request field; a changed
type, format or operationId; a request limit tightened (maxItems, maximum,
maxLength or x-max-bytes lowered, minItems, minimum or minLength raised, an
enum value or oneOf alternative removed, a pattern added or changed); a
response widened (limits loosened, enum values added, a field made optional).
Non-breaking: the reverse, and additions.

One line per change with the JSON pointer of what changed (through the
operation, so a shared component's change shows at each use). "-" reads one
spec from standard input; "embedded" names the spec built into this binary.

Exit codes:
  0    no change breaks clients
  1    at least one breaking change
  2    bad usage, or a spec cannot be read, is not an OpenAPI 3 document or
       does not load`,
		Example: `  presencekit spec diff embedded openapi.yaml
  git show main:openapi.yaml | presencekit spec diff - openapi.yaml
  presencekit spec diff --json old.yaml new.yaml
  presencekit spec diff --profile easemob --profile agora-chat`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && len(o.Profiles) == 2 {
				return nil
			}
			return cobra.ExactArgs(2)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(o.Profiles) > 2 {
				return usageError("--profile can be given at most twice (OLD's, then NEW's)")
			}
			o.Old, o.New = "embedded", "embedded"
			if len(args) == 2 {
				o.Old, o.New = args[0], args[1]
			}
			return failed(diffSpecs(o, cmd.InOrStdin(), cmd.OutOrStdout()))
		},
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the changes as one JSON object instead of lines")
	cmd.Flags().StringArrayVar(&o.Profiles, "profile", nil, "vendor profile applied to both specs, or given twice: OLD's then NEW's (without OLD NEW, the embedded spec under each: how two vendors differ)")
	return cmd
}

// diffReport is the --json output of "spec diff".
type diffReport struct {
	Old         string            `json:"old"`
	New         string            `json:"new"`
	Breaking    int               `json:"breaking"`
	NonBreaking int               `json:"non_breaking"`
	Changes     []specdiff.Change `json:"changes"`
}

// diffSpecs loads both specs, prints their differences to w and returns an
// exit-1 error when one of them breaks clients.
func diffSpecs(o diffOptions, stdin io.Reader, w io.Writer) error {
	if o.Old == stdinName && o.New == stdinName {
		return usageError("only one of OLD and NEW can be standard input")
	}
	profiles := [2]string{}
	switch len(o.Profiles) {
	case 1:
		profiles = [2]string{o.Profiles[0], o.Profiles[0]}
	case 2:
		profiles = [2]string{o.Profiles[0], o.Profiles[1]}
	}
	side := 0
	load := func(arg string) (*spec.Doc, error) {
		if arg == "embedded" {
			arg = ""
		}
		profile := profiles[side]
		side++
		data, location, err := readSpecProfile(arg, profile, stdin)
		if err != nil {
			return nil, err
		}
		doc, err := spec.LoadData(data, location)
		if err != nil {
			return nil, &exitError{code: exitUsage, err: fmt.Errorf("load spec: %w", err)}
		}
		return doc, nil
	}
	oldDoc, err := load(o.Old)
	if err != nil {
		return err
	}
	newDoc, err := load(o.New)
	if err != nil {
		return err
	}
	changes := specdiff.Docs(oldDoc, newDoc)
	breaking := specdiff.Breaking(changes)
	if o.JSON {
		if changes == nil {
			changes = []specdiff.Change{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(diffReport{Old: oldDoc.Location, New: newDoc.Location, Breaking: breaking,
			NonBreaking: len(changes) - breaking, Changes: changes})
	} else {
		for _, c := range changes {
			if _, err = fmt.Fprintln(w, c.String()); err != nil {
				return err
			}
		}
		_, err = fmt.Fprintf(w, "%s → %s: %d breaking, %d non-breaking changes\n", oldDoc.Location, newDoc.Location, breaking, len(changes)-breaking)
	}
	if err != nil {
		return err
	}
	if breaking > 0 {
		return &exitError{code: exitFail}
	}
	return nil
}
