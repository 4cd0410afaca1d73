package suites

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/presencekit/presencekit/checks"
	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// Failure is a check that did not hold. It names its rule, so a report (and
// the self-check) can tell a SUB-LIMIT-USERS failure from a schema failure
// met on the way. Rule is empty for a failure of the suite's own
// housekeeping (cleanup, the virtual clock): the spec's rule is blamed.
type Failure struct {
	Rule spec.RuleID
	Msg  string
}

func (f *Failure) Error() string {
	if f.Rule == "" {
		return f.Msg
	}
	return "[" + string(f.Rule) + "] " + f.Msg
}

// FormattedGomegaError makes Gomega's Succeed() report the failure as its
// one line, instead of "Expected success, but got an error:" with a dump
// of the struct. The rule is not in it: the check recorded it as data
// (Env.must), and the console line puts it in front.
func (f *Failure) FormattedGomegaError() string { return f.Msg }

// GomegaString keeps any other matcher's message to the finding, without a
// dump of the struct.
func (f *Failure) GomegaString() string { return f.Msg }

func fail(rule spec.RuleID, format string, args ...any) error {
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
	var env client.ErrorEnvelope
	if r.Status >= 300 && json.Unmarshal(r.Body, &env) == nil && env.Error != "" {
		s += " " + env.Error
		if env.Description != "" {
			s += " (" + env.Description + ")"
		}
	}
	return s
}

// Valid checks an exchange that completed: the answer must match
// openapi.yaml for its operation and status (SCHEMA-RESPONSE), and with
// --strict-types its numbers must have the demanded form. rule is blamed
// when no answer came at all.
func (e *Env) Valid(ctx context.Context, rule spec.RuleID, r *client.Response, err error) error {
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
			return fail(spec.RuleSchemaResponse, "%s answered %d: %s: %s", opName(ve.Operation), r.Status, ve.Field, ve.Reason)
		}
		return fail(spec.RuleSchemaResponse, "%v", verr)
	}
	if e.Cfg.StrictTypes != "" {
		if field, form := checks.NumberForms(r.Body, e.Cfg.StrictTypes); field != "" {
			return fail(spec.RuleSchemaResponse, "--strict-types %s: %s is sent as a %s", e.Cfg.StrictTypes, field, form)
		}
	}
	return nil
}

// Status checks the answer is valid and has the wanted status; a wrong
// status is blamed on rule.
func (e *Env) Status(ctx context.Context, rule spec.RuleID, r *client.Response, err error, want int) error {
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
func (e *Env) OK(ctx context.Context, rule spec.RuleID, r *client.Response, err error) error {
	return e.Status(ctx, rule, r, err, 200)
}

// Rejected checks a refusal: the status (blamed on rule), the vendor's
// envelope with a millisecond timestamp (ERR-ENVELOPE), and, when code is
// not empty, the error code (blamed on the rule that fixes that code).
func (e *Env) Rejected(ctx context.Context, rule spec.RuleID, r *client.Response, err error, status int, code string) error {
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
	env, eerr := checks.Envelope(r.Body)
	if eerr != nil {
		return fail(spec.RuleErrEnvelope, "the %d answer is not the error envelope (%v): %s", status, eerr, excerpt(r.Body))
	}
	now, nerr := e.Now(ctx)
	if nerr != nil {
		return fail(rule, "reading the server clock: %v", nerr)
	}
	if !checks.NearMillis(env.Timestamp.Value, now, e.Cfg.ClockSkew) {
		return fail(spec.RuleErrEnvelope, "timestamp %d is not the current time in milliseconds (now %d)", env.Timestamp.Value, now.UnixMilli())
	}
	if code != "" && env.Error != code {
		owner := checks.CodeRule(code)
		if owner == "" {
			owner = rule
		}
		return fail(owner, "%s %s: want %d %s, got %s", r.Request.Method, r.Request.URL.Path, status, code, got(r))
	}
	return nil
}

// NearUnix checks a unix-seconds value is want ± the clock-skew tolerance.
func (e *Env) NearUnix(rule spec.RuleID, what string, got int64, want time.Time) error {
	if !checks.NearUnix(got, want, e.Cfg.ClockSkew) {
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
