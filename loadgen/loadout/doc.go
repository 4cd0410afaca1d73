// Package loadout is what a person sees of a load run: the live progress
// line or bar, the summary table, the self-contained HTML report and the
// HDR interval log. It reads loadgen's results and never feeds back into a
// run, so loadgen stays an engine a program can drive without any of it
// (the split vegeta makes with lib/plot and ghz with its printer).
package loadout
