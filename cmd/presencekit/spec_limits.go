package main

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/presencekit/presencekit/spec"
)

// limitsOptions are the flags and arguments of "spec limits".
type limitsOptions struct {
	File    string // "" for the embedded spec, "-" for stdin
	JSON    bool
	Profile string // --profile
}

func newSpecLimitsCmd() *cobra.Command {
	var o limitsOptions
	cmd := &cobra.Command{
		Use:   "limits [FILE]",
		Short: "Show the limits read from the spec's schema constraints",
		Long: `Limits shows the numeric limits of the contract (users per batch, expiry,
page size and number, ext size, query types) as read from the spec's own
constraints: maxItems, minimum, maximum, default, enum and x-max-bytes.
Nothing is hard-coded, so an edited copy of the spec shows its own limits;
the conformance suite and the mock follow the same values. RULES names the
catalogue rules that check each limit.

Without FILE it reads the embedded openapi.yaml; "-" reads standard input.
A limit the spec lacks shows as 0 (spec lint reports it).

Exit codes:
  0    limits shown
  2    bad usage, or FILE cannot be read, is not an OpenAPI 3 document or
       does not load (spec lint says where)`,
		Example: `  presencekit spec limits
  presencekit spec limits --json my-copy.yaml
  presencekit spec limits --profile agora-chat --json
  presencekit spec dump | sed 's/maxItems: 100/maxItems: 50/' | presencekit spec limits -`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File = fileArg(args)
			return failed(showLimits(o, cmd.InOrStdin(), cmd.OutOrStdout()))
		},
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the limits as a JSON object (keys as in spec.Limits' JSON tags)")
	addProfileFlag(cmd, &o.Profile)
	return cmd
}

// showLimits loads the spec o names and prints its limits to w.
func showLimits(o limitsOptions, stdin io.Reader, w io.Writer) error {
	data, location, err := readSpecProfile(o.File, o.Profile, stdin)
	if err != nil {
		return err
	}
	d, err := spec.LoadData(data, location)
	if err != nil {
		// Not a spec at all, or one that does not load: bad input, not a
		// failed check, and never a table of zeros.
		return &exitError{code: exitUsage, err: fmt.Errorf("%w (spec lint shows where)", err)}
	}
	l := d.Limits()
	if o.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(l)
	}
	return writeLimitsTable(w, l)
}

// writeLimitsTable prints one row per field of spec.Limits, found by
// reflection so a limit added to spec shows up here without a change.
func writeLimitsTable(w io.Writer, l spec.Limits) error {
	rulesOf := map[string][]string{}
	for _, r := range spec.Rules() {
		for _, name := range r.Limits {
			rulesOf[name] = append(rulesOf[name], string(r.ID))
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LIMIT\tVALUE\tRULES")
	v := reflect.ValueOf(l)
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, limitValue(v.Field(i)), strings.Join(rulesOf[f.Name], ", "))
	}
	return tw.Flush()
}

func limitValue(v reflect.Value) string {
	if v.Kind() != reflect.Slice {
		return fmt.Sprint(v.Interface())
	}
	parts := make([]string, v.Len())
	for i := range parts {
		parts[i] = fmt.Sprint(v.Index(i).Interface())
	}
	return strings.Join(parts, ", ")
}
