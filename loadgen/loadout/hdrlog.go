package loadout

import (
	"fmt"
	"github.com/presencekit/presencekit/loadgen"
	"io"
	"maps"
	"slices"
	"time"
)

// WriteHDRLog writes the intervals as an HdrHistogram interval log (format
// 1.3), readable by HistogramLogProcessor, HdrHistogram's plotters and
// hdrhistogram-go's log reader. Each interval gives two lines per
// operation, tagged with the operationId (corrected latency) and
// "svc.<operationId>" (service time). Values are microseconds, so the
// Interval_Max column is in milliseconds.
func WriteHDRLog(w io.Writer, r *loadgen.Results) error {
	ew := &errWriter{w: w}
	start := r.Started.UnixMilli()
	ew.printf("#[loadgen.Histogram log format version 1.3]\n")
	ew.printf("#[StartTime: %.3f (seconds since epoch), %s]\n", float64(start)/1000, r.Started.UTC().Format(time.RFC3339))
	ew.printf("#[presencekit %s: values in microseconds, Interval_Max in milliseconds]\n", loadgen.SchemaVersion)
	ew.printf("\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n")
	for _, iv := range r.Intervals {
		ids := slices.SortedFunc(maps.Keys(iv.Ops), func(a, b string) int { return loadgen.OpOrder(a) - loadgen.OpOrder(b) })
		for _, id := range ids {
			o := iv.Ops[id]
			for _, h := range [...]struct {
				tag string
				enc loadgen.EncodedHist
			}{{id, o.Corrected}, {"svc." + id, o.Service}} {
				d, err := h.enc.Decode()
				if err != nil {
					return fmt.Errorf("hdr log: %s: %w", id, err)
				}
				ew.printf("Tag=%s,%.3f,%.3f,%.3f,%s\n", h.tag, iv.Start.Seconds(), (iv.End - iv.Start).Seconds(),
					float64(d.Max())/1000, h.enc)
			}
		}
	}
	if ew.err != nil {
		return fmt.Errorf("hdr log: %w", ew.err)
	}
	return nil
}
