package main

import (
	"fmt"
	"io"
	"os"
	"reflect"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/presencekit/presencekit"
	"github.com/presencekit/presencekit/spec"
)

// profileHelp is the --profile help shared by every command.
const profileHelp = "vendor profile: a built-in name (see presencekit spec profiles) or an OpenAPI Overlay file (.yaml); default easemob, or $" + spec.EnvProfile

// addProfileFlag adds --profile to cmd.
func addProfileFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "profile", "", profileHelp)
}

// profileName is --profile, else PRESENCE_PROFILE, else "" (the default).
func profileName(flag string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv(spec.EnvProfile)
}

// loadProfileDoc loads the embedded spec under a profile, or the file
// specFile with the profile applied when one is named; a bad profile or
// spec is a usage error.
func loadProfileDoc(profile, specFile string) (*spec.Doc, error) {
	profile = profileName(profile)
	var doc *spec.Doc
	var err error
	switch {
	case specFile == "":
		doc, err = spec.LoadProfile(profile)
	case profile == "":
		doc, err = spec.LoadFile(specFile)
	default:
		var data []byte
		if data, err = os.ReadFile(specFile); err == nil {
			doc, err = spec.LoadDataProfile(data, specFile, profile)
		}
	}
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	return doc, nil
}

// readSpecProfile is readSpec with a profile: the embedded spec always
// gets one (the default when none is named); FILE or stdin get one only
// when it is named.
func readSpecProfile(path, profile string, stdin io.Reader) ([]byte, string, error) {
	profile = profileName(profile)
	data, location, err := readSpec(path, stdin)
	if err != nil || (path != "" && profile == "") {
		return data, location, err
	}
	ov, ovLocation, err := spec.ProfileOverlay(profile)
	if err != nil {
		return nil, "", &exitError{code: exitUsage, err: err}
	}
	merged, err := spec.ApplyOverlay(data, ov)
	if err != nil {
		return nil, "", &exitError{code: exitUsage, err: fmt.Errorf("%s+%s: %w", location, ovLocation, err)}
	}
	return merged, location + "+" + ovLocation, nil
}

func newSpecProfilesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "profiles",
		Short: "List the built-in vendor profiles and what each changes",
		Long: `A profile is an OpenAPI Overlay applied to the embedded openapi.yaml, plus the
vendor's non-schema facts (documented rate limit, user-name charset,
operations not offered, rules that do not apply) kept in the overlay as
x-presencekit-profile. Every command takes --profile NAME|FILE.yaml (or
PRESENCE_PROFILE). This lists each built-in profile, then a table of the
limits and facts where it differs from the default (limit, base, profile).

Exit codes:
  0    listed
  1    standard output could not be written
  2    bad usage, or a built-in profile does not apply (a bug)`,
		Example: `  presencekit spec profiles
  presencekit spec dump --profile shengwang | presencekit spec lint -
  presencekit spec diff --profile easemob --profile agora-chat`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listProfiles(cmd.OutOrStdout())
		},
	}
}

// listProfiles prints each profile and its differences from the default.
func listProfiles(w io.Writer) error {
	base, err := spec.LoadProfile(spec.DefaultProfile)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, name := range spec.ProfileNames() {
		d, err := spec.LoadProfile(name)
		if err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		fmt.Fprintf(tw, "%s\t%s\n", name, d.Profile().Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, name := range spec.ProfileNames()[1:] {
		d, _ := spec.LoadProfile(name)
		fmt.Fprintf(w, "\n%s\n", name)
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  LIMIT\tBASE (easemob)\tPROFILE")
		for _, row := range profileDiff(base, d) {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", row[0], row[1], row[2])
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// profileDiff lists the rows where d differs from base: every limit, the
// tenant prefix, the rate limit and operations not offered.
func profileDiff(base, d *spec.Doc) [][3]string {
	var rows [][3]string
	add := func(name, a, b string) {
		if a != b {
			rows = append(rows, [3]string{name, a, b})
		}
	}
	bl, dl := reflect.ValueOf(base.Limits()), reflect.ValueOf(d.Limits())
	for i := 0; i < bl.NumField(); i++ {
		add(bl.Type().Field(i).Name, limitValue(bl.Field(i)), limitValue(dl.Field(i)))
	}
	add("paths", base.Tenant().Template()+"/…", d.Tenant().Template()+"/…")
	add("rate limit", rateText(base.Profile()), rateText(d.Profile()))
	add("operations not offered", fmt.Sprint(base.Profile().OperationsNotOffered), fmt.Sprint(d.Profile().OperationsNotOffered))
	add("error texts", fmt.Sprint(base.Profile().ErrorDescriptions), fmt.Sprint(d.Profile().ErrorDescriptions))
	if len(rows) == 0 {
		rows = append(rows, [3]string{"(nothing)", "", ""})
	}
	return rows
}

func rateText(p spec.Profile) string {
	if p.RateLimit == nil {
		return "not documented"
	}
	return fmt.Sprintf("%g/s per %s", p.RateLimit.PerSecond, p.RateLimit.Scope)
}

// dumpProfile writes the embedded spec merged with a profile.
func dumpProfile(w io.Writer, profile string) error {
	data, _, err := readSpecProfile("", profile, nil)
	if err != nil {
		return err
	}
	if profileName(profile) == "" {
		// The default profile only adds facts: dump keeps printing the
		// base document byte for byte, which "spec dump > copy" relies on.
		data = presencekit.OpenAPI
	}
	_, err = w.Write(data)
	return err
}
