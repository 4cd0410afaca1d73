package suites

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// Rules that the expectation helpers check on every answer, beside the
// rule a spec is about.
const (
	RuleSchema          = "SCHEMA-RESPONSE"
	RuleEnvelope        = "ERR-ENVELOPE"
	RuleIllegalArgument = "ERR-ILLEGAL-ARGUMENT"
	RuleJSONParse       = "ERR-JSON-PARSE"
	Rule401Code         = "AUTH-401-CODE"
)

// codeRule names the rule that fixes an error code (docs/contract.md#d2), or "".
func codeRule(code string) string {
	switch code {
	case "illegal_argument":
		return RuleIllegalArgument
	case "json_parse":
		return RuleJSONParse
	case "unauthorized":
		return Rule401Code
	}
	return ""
}

// Failure is a check that did not hold. It names its rule, so a report (and
// the self-check) can tell a SUB-LIMIT-USERS failure from a schema failure
// met on the way. Rule is empty for a failure of the suite's own
// housekeeping (cleanup, the virtual clock): the spec's rule is blamed.
type Failure struct {
	Rule string
	Msg  string
}

func (f *Failure) Error() string {
	if f.Rule == "" {
		return f.Msg
	}
	return "[" + f.Rule + "] " + f.Msg
}

// FormattedGomegaError makes Gomega's Succeed() report the failure as its
// one line, instead of "Expected success, but got an error:" with a dump
// of the struct.
func (f *Failure) FormattedGomegaError() string { return f.Error() }

// GomegaString keeps any other matcher's message to the rule and the
// finding, without a dump of the struct.
func (f *Failure) GomegaString() string { return f.Error() }

func fail(rule, format string, args ...any) error {
	return &Failure{Rule: rule, Msg: fmt.Sprintf(format, args...)}
}

// plainErr turns an error of the suite's housekeeping into a Failure, so
// Gomega prints its text and not a dump of its fields (a wrapped client
// error holds the request, Authorization header included).
func plainErr(err error) error {
	var f *Failure
	if err == nil || errors.As(err, &f) {
		return err
	}
	return &Failure{Msg: err.Error()}
}

// got describes an answer for a failure line: the status and, when the
// body is the vendor's envelope, its error code and description.
func got(r *client.Response) string {
	s := strconv.Itoa(r.Status)
	var env struct {
		Error string `json:"error"`
		Desc  string `json:"error_description"`
	}
	if r.Status >= 300 && json.Unmarshal(r.Body, &env) == nil && env.Error != "" {
		s += " " + env.Error
		if env.Desc != "" {
			s += " (" + env.Desc + ")"
		}
	}
	return s
}

// Valid checks an exchange that completed: the answer must match
// openapi.yaml for its operation and status (SCHEMA-RESPONSE), and with
// --strict-types its numbers must have the demanded form. rule is blamed
// when no answer came at all.
func (e *Env) Valid(ctx context.Context, rule string, r *client.Response, err error) error {
	e.record(r)
	if terr := e.throttled(rule, err); terr != nil {
		return terr
	}
	if r == nil {
		return fail(rule, "no answer: %v", err)
	}
	if verr := e.Doc.ValidateResponse(ctx, r.Request, r.Status, r.Header, r.Body); verr != nil {
		var ve *spec.ValidationError
		if errors.As(verr, &ve) {
			return fail(RuleSchema, "%s answered %d: %s: %s", opName(ve.Operation), r.Status, ve.Field, ve.Reason)
		}
		return fail(RuleSchema, "%v", verr)
	}
	if e.Cfg.StrictTypes != "" {
		if field, form := numberForms(r.Body, e.Cfg.StrictTypes); field != "" {
			return fail(RuleSchema, "--strict-types %s: %s is sent as a %s", e.Cfg.StrictTypes, field, form)
		}
	}
	return nil
}

// Status checks the answer is valid and has the wanted status; a wrong
// status is blamed on rule.
func (e *Env) Status(ctx context.Context, rule string, r *client.Response, err error, want int) error {
	if terr := e.throttled(rule, err); terr != nil {
		e.record(r)
		return terr
	}
	if r != nil && r.Status != want {
		e.record(r)
		return fail(rule, "%s %s: want %d, got %s", r.Request.Method, r.Request.URL.Path, want, got(r))
	}
	return e.Valid(ctx, rule, r, err)
}

// OK is Status 200.
func (e *Env) OK(ctx context.Context, rule string, r *client.Response, err error) error {
	return e.Status(ctx, rule, r, err, 200)
}

// Rejected checks a refusal: the status (blamed on rule), the vendor's
// envelope with a millisecond timestamp (ERR-ENVELOPE), and, when code is
// not empty, the error code (blamed on the rule that fixes that code).
func (e *Env) Rejected(ctx context.Context, rule string, r *client.Response, err error, status int, code string) error {
	if r != nil && r.Status != status {
		e.record(r)
		want := strconv.Itoa(status)
		if code != "" {
			want += " " + code
		}
		return fail(rule, "%s %s: want %s, got %s", r.Request.Method, r.Request.URL.Path, want, got(r))
	}
	if err := e.Status(ctx, rule, r, err, status); err != nil {
		return err
	}
	var env struct {
		Error     string          `json:"error"`
		Desc      *string         `json:"error_description"`
		Timestamp json.RawMessage `json:"timestamp"`
	}
	if json.Unmarshal(r.Body, &env) != nil || env.Error == "" || env.Desc == nil {
		return fail(RuleEnvelope, "the %d answer is not the error envelope: %s", status, excerpt(r.Body))
	}
	now, nerr := e.Now(ctx)
	if nerr != nil {
		return fail(rule, "reading the server clock: %v", nerr)
	}
	ts, perr := strconv.ParseInt(string(env.Timestamp), 10, 64)
	if perr != nil || !near(time.UnixMilli(ts), now, e.Cfg.ClockSkew) {
		return fail(RuleEnvelope, "timestamp %s is not the current time in milliseconds (now %d)", env.Timestamp, now.UnixMilli())
	}
	if code != "" && env.Error != code {
		owner := codeRule(code)
		if owner == "" {
			owner = rule
		}
		return fail(owner, "%s %s: want %d %s, got %s", r.Request.Method, r.Request.URL.Path, status, code, got(r))
	}
	return nil
}

// near reports whether two times are within tolerance of each other.
func near(a, b time.Time, tolerance time.Duration) bool {
	d := a.Sub(b)
	return d <= tolerance && d >= -tolerance
}

// NearUnix checks a unix-seconds value is want ± the clock-skew tolerance.
func (e *Env) NearUnix(rule, what string, got int64, want time.Time) error {
	if !near(time.Unix(got, 0), want, e.Cfg.ClockSkew+time.Second) {
		return fail(rule, "%s is %d, want %d ± %s", what, got, want.Unix(), e.Cfg.ClockSkew)
	}
	return nil
}

func opName(op string) string {
	if op == "" {
		return "an unrouted request"
	}
	return op
}

// numberForms finds a number field not in the demanded form ("string" or
// "integer"): the fields docs/contract.md#d5 lets a server send either way.
func numberForms(body []byte, want string) (field, form string) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return "", ""
	}
	var walk func(path string, v any) (string, string)
	walk = func(path string, v any) (string, string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				switch k {
				case "last_time", "expiry", "totalnum", "result":
					switch c.(type) {
					case string:
						if want == "integer" && k != "result" {
							return path + "." + k, "string"
						}
					case float64:
						if want == "string" {
							return path + "." + k, "number"
						}
					}
				}
				if f, t := walk(path+"."+k, c); f != "" {
					return f, t
				}
			}
		case []any:
			for i, c := range x {
				if f, t := walk(path+"["+strconv.Itoa(i)+"]", c); f != "" {
					return f, t
				}
			}
		}
		return "", ""
	}
	return walk("body", v)
}
