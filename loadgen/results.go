package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// SchemaVersion names the results.json format. A reader refuses other
// versions rather than misreading them; merge requires equal versions.
const SchemaVersion = "presencekit.load/v1"

// Histogram geometry of every recorded latency: microseconds from 1 µs to
// one hour at 3 significant digits (0.1% resolution). Equal geometry is what
// makes histograms of workers, intervals and shards merge exactly.
const (
	histLowest  = 1
	histHighest = int64(time.Hour / time.Microsecond)
	histDigits  = 3
)

// NewHist returns an empty dense histogram of the standard geometry.
func NewHist() *hdr.Histogram { return hdr.New(histLowest, histHighest, histDigits) }

// EncodedHist is an HDR histogram in its standard compressed base64 form
// (the form HdrHistogram's log tools read). Results keep intervals encoded:
// a dense histogram is ~190 KB, its encoding a few hundred bytes.
type EncodedHist []byte

// Decode returns the histogram; an empty EncodedHist decodes as an empty
// histogram of the standard geometry.
func (e EncodedHist) Decode() (*hdr.Histogram, error) {
	if len(e) == 0 {
		return NewHist(), nil
	}
	h, err := hdr.Decode(e)
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	return h, nil
}

// MarshalJSON writes the base64 text as a JSON string.
func (e EncodedHist) MarshalJSON() ([]byte, error) {
	return json.Marshal(string(e))
}

// UnmarshalJSON reads a JSON string.
func (e *EncodedHist) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	*e = EncodedHist(s)
	return nil
}

// Results is one run (or several merged runs): the redacted configuration,
// per-interval per-operation counts and histograms, and what was checked.
// Percentiles are never stored: they are computed from the histograms, so
// merged results give exact percentiles, not averages of percentiles.
type Results struct {
	Schema string `json:"schema"`
	// Started is the wall-clock start of the measured phase.
	Started time.Time `json:"started"`
	// Elapsed is the measured phase's length, draining included.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Interval is the length of each entry of Intervals.
	Interval time.Duration `json:"interval_ns"`
	// Unit of the histograms' values.
	Unit string `json:"unit"`
	// Config is the run's configuration, credentials removed.
	Config RunInfo `json:"config"`
	// Shards lists the shards these results cover ("0/1" for a lone run).
	Shards []string `json:"shards"`
	// Expected is how many hits the pacer scheduled within the run; Sent
	// how many were sent. Sent/Expected is the rate achieved as a fraction
	// of the target. Closed loop: Expected is 0.
	Expected uint64 `json:"expected"`
	Sent     uint64 `json:"sent"`
	// Dropped counts scheduled hits never sent (an interrupt, or the run's
	// hard end): reported, never hidden.
	Dropped uint64 `json:"dropped"`
	// Interrupted is set when SIGINT (or a cancelled context) ended the run.
	Interrupted bool `json:"interrupted,omitempty"`
	// Setup is the setup phase, reported apart from the measured one.
	Setup *Phase `json:"setup,omitempty"`
	// Intervals are the measured phase, in order.
	Intervals []Interval `json:"intervals"`
	// Validation is the --validate sample per operationId.
	Validation map[string]*Validation `json:"validation,omitempty"`
	// Verification is what --verify found (setup and measured phase).
	Verification *Verification `json:"verification,omitempty"`
	// TokenRenewals counts the client-credential tokens fetched after the
	// first one (before expiry or after a 401); TokenRenewalFailures the
	// fetches that failed.
	TokenRenewals        uint64 `json:"token_renewals,omitempty"`
	TokenRenewalFailures uint64 `json:"token_renewal_failures,omitempty"`
}

// RunInfo is the configuration recorded with results. It has no field for
// a token or secret, so redaction cannot be forgotten.
type RunInfo struct {
	Target      string        `json:"target"`
	Org         string        `json:"org"`
	App         string        `json:"app"`
	Auth        string        `json:"auth"` // "token (redacted)" or "none"
	Mode        string        `json:"mode"` // "open" or "closed"
	Rate        float64       `json:"rate,omitempty"`
	Stages      string        `json:"stages,omitempty"`
	Arrival     string        `json:"arrival,omitempty"`
	Concurrency int           `json:"concurrency,omitempty"`
	Connections int           `json:"connections"`
	Workers     int           `json:"workers"`
	Duration    time.Duration `json:"duration_ns,omitempty"`
	Requests    uint64        `json:"requests,omitempty"`
	Timeout     time.Duration `json:"timeout_ns"`
	Users       int           `json:"users"`
	UserPrefix  string        `json:"user_prefix"`
	Zipf        float64       `json:"zipf"`
	Mix         string        `json:"mix"`
	Batch       string        `json:"batch"`
	Seed        uint64        `json:"seed"`
	Shard       string        `json:"shard"`
	Validate    float64       `json:"validate,omitempty"`
	// Verify and VerifyStaleness are --verify's settings.
	Verify          bool          `json:"verify,omitempty"`
	VerifyStaleness time.Duration `json:"verify_staleness_ns,omitempty"`
	VerifySample    float64       `json:"verify_sample,omitempty"`
	Client          string        `json:"client"`
	// MaxErrorRate is the failed share above which the run failed.
	MaxErrorRate float64 `json:"max_error_rate,omitempty"`
}

// Phase is a stretch of traffic summed over its whole length (the setup).
type Phase struct {
	Elapsed time.Duration          `json:"elapsed_ns"`
	Ops     map[string]*OpInterval `json:"ops"`
}

// Interval is one --report-every stretch of the measured phase.
type Interval struct {
	// Start and End are offsets from Results.Started.
	Start time.Duration `json:"start_ns"`
	End   time.Duration `json:"end_ns"`
	// Ops is keyed by operationId.
	Ops map[string]*OpInterval `json:"ops"`
}

// OpInterval is one operation's traffic in an interval.
type OpInterval struct {
	// Count is the requests completed: answered, or failed in transport.
	Count uint64 `json:"count"`
	// Errors counts failures by kind: "timeout", "refused", "reset",
	// "other", "429", "4xx:<error code>", "5xx:<status>". A request counts
	// once in Count and at most once here.
	Errors map[string]uint64 `json:"errors,omitempty"`
	// Status counts answers by HTTP status code.
	Status map[string]uint64 `json:"status,omitempty"`
	// Late counts sends that left later than the late threshold after
	// their intended time.
	Late uint64 `json:"late"`
	// Corrected is the latency from the intended send time; Service from
	// the actual one. Both in Results.Unit.
	Corrected EncodedHist `json:"corrected"`
	Service   EncodedHist `json:"service"`
}

// ErrorCount is the sum of Errors.
func (o *OpInterval) ErrorCount() uint64 {
	var n uint64
	for _, v := range o.Errors {
		n += v
	}
	return n
}

// Validation is the --validate sample of one operation.
type Validation struct {
	Checked    uint64 `json:"checked"`
	Violations uint64 `json:"violations"`
	// Example is the first violation seen, as the spec package words it.
	Example string `json:"example,omitempty"`
}

// Encoder writes results somewhere; Decoder reads them. As in vegeta they
// are functions over io.Writer and io.Reader, so pipelines and tests with
// a bytes.Buffer come free.
type (
	Encoder func(*Results) error
	Decoder func(*Results) error
)

// NewJSONEncoder writes results as indented JSON to w.
func NewJSONEncoder(w io.Writer) Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return func(r *Results) error {
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("encode results: %w", err)
		}
		return nil
	}
}

// NewJSONDecoder reads results written by NewJSONEncoder from r, refusing
// other schema versions.
func NewJSONDecoder(rd io.Reader) Decoder {
	dec := json.NewDecoder(rd)
	return func(r *Results) error {
		if err := dec.Decode(r); err != nil {
			return fmt.Errorf("decode results: %w", err)
		}
		if r.Schema != SchemaVersion {
			return fmt.Errorf("decode results: schema %q: this build reads %q", r.Schema, SchemaVersion)
		}
		return nil
	}
}
