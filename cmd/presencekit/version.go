package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is the release this binary was built as. Release builds set it
// with -ldflags "-X main.version=v1.2.3"; it is never changed at run time.
var version = "dev"

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

// buildVersion combines the -ldflags version with what the Go toolchain
// recorded in the binary. info may be nil.
func buildVersion(info *debug.BuildInfo) versionInfo {
	v := versionInfo{Version: version, Go: runtime.Version()}
	if info == nil {
		return v
	}
	// go install module@version records the module version.
	if v.Version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func printVersion(w io.Writer, v versionInfo) error {
	commit := v.Commit
	switch {
	case commit == "":
		commit = "unknown (built without VCS information)"
	case v.Modified:
		commit += " (modified)"
	}
	if v.Time != "" {
		commit += " " + v.Time
	}
	_, err := fmt.Fprintf(w, "presencekit %s\ngo:     %s\ncommit: %s\n", v.Version, v.Go, commit)
	return err
}
