package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// The release this binary was built as. Release builds (make build,
// GoReleaser, the Dockerfile) stamp them with
//
//	-ldflags "-X main.version=v1.2.3 -X main.commit=<sha> -X main.date=<RFC 3339>"
//
// because a binary built outside a git checkout (a container build, a
// tarball, GOFLAGS=-buildvcs=false) has no VCS information to fall back on.
// They are never changed at run time.
var (
	version = "dev"
	commit  = ""
	date    = ""
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, Go version and commit of this binary",
		Long: `version prints the release this binary was built as, the Go version that
built it, and the commit (with "(modified)" when the work tree had changes)
and its time, as the Go toolchain recorded them.

Exit codes:
  0    printed
  1    standard output could not be written
  2    bad usage (version takes no arguments)`,
		Example: `  presencekit version
  go run ./cmd/presencekit version`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info, _ := debug.ReadBuildInfo()
			return failed(printVersion(cmd.OutOrStdout(), buildVersion(info)))
		},
	}
}

// versionInfo is what the version command reports.
type versionInfo struct {
	Version  string
	Go       string
	Commit   string // "" when the build did not record it
	Time     string
	Modified bool
}

// stamp is what -ldflags -X set in a release build; empty fields were not
// stamped.
type stamp struct{ version, commit, date string }

// buildVersion combines the -ldflags stamp of this binary with what the Go
// toolchain recorded in it. info may be nil.
func buildVersion(info *debug.BuildInfo) versionInfo {
	return chooseVersion(stamp{version: version, commit: commit, date: date}, info)
}

// chooseVersion prefers the stamp: a release says exactly which commit it
// was built from, whatever the build machine's checkout looked like. Without
// a stamped commit it falls back to the module version go install records
// and the VCS settings go build records in a git checkout.
func chooseVersion(st stamp, info *debug.BuildInfo) versionInfo {
	v := versionInfo{Version: st.version, Go: runtime.Version(), Commit: st.commit, Time: st.date}
	if v.Version == "" {
		v.Version = "dev"
	}
	if info == nil {
		return v
	}
	// go install module@version records the module version.
	if v.Version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v.Version = info.Main.Version
	}
	if st.commit != "" {
		return v
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			if v.Time == "" {
				v.Time = s.Value
			}
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func printVersion(w io.Writer, v versionInfo) error {
	line := v.Commit
	switch {
	case line == "":
		line = "unknown (built without VCS information)"
	case v.Modified:
		line += " (modified)"
	}
	if v.Time != "" {
		line += " " + v.Time
	}
	_, err := fmt.Fprintf(w, "presencekit %s\ngo:     %s\ncommit: %s\n", v.Version, v.Go, line)
	return err
}
