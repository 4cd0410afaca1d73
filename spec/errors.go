package spec

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// Direction says whether a violation is in what a client sent or in what a
// server answered: the first is the client's fault, the second the server's.
type Direction string

// The two directions of an exchange.
const (
	Request  Direction = "request"
	Response Direction = "response"
)

// ValidationError is a request or response that does not match the spec.
// Field locates the offending value so a report can say what was wrong
// where: "route", "status", "header.Content-Type", "path.expiry",
// "query.pageSize", "body", "body.usernames", "body.result[0].uid".
type ValidationError struct {
	Operation string // operationId, or "" when no operation matched
	Direction Direction
	Field     string
	Reason    string
	Err       error // the underlying kin-openapi or decoding error, if any
}

func (e *ValidationError) Error() string {
	op := e.Operation
	if op == "" {
		op = "unrouted"
	}
	return fmt.Sprintf("%s %s: %s: %s", op, e.Direction, e.Field, e.Reason)
}

// Unwrap gives the underlying error, so errors.Is(err, ErrNoRoute) works.
func (e *ValidationError) Unwrap() error { return e.Err }

// fieldPath turns a JSON pointer into the dotted form of Field:
// ["result","0","uid"] -> "result[0].uid".
func fieldPath(prefix string, ptr []string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, p := range ptr {
		if _, err := strconv.Atoi(p); err == nil {
			b.WriteString("[" + p + "]")
			continue
		}
		b.WriteString("." + p)
	}
	return b.String()
}

// fromSchemaError picks field and reason out of a kin-openapi schema error;
// a MultiError (oneOf alternatives) yields its first element. It reads the
// error's fields and never its Error(), whose text embeds the offending
// value and grows with it.
func fromSchemaError(prefix string, err error) (field, reason string, ok bool) {
	var me openapi3.MultiError
	if errors.As(err, &me) && len(me) > 0 {
		return fromSchemaError(prefix, me[0])
	}
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		return "", "", false
	}
	reason = se.Reason
	if reason == "" {
		reason = "doesn't match the schema's " + se.SchemaField
	}
	return capText(fieldPath(prefix, se.JSONPointer())), capText(reason), true
}

// errText describes an error of the decoding layer in a bounded text:
// a ParseError by its reason and cause, never by its Error(), which can
// quote the whole value.
func errText(err error) string {
	var pe *openapi3filter.ParseError
	if errors.As(err, &pe) {
		if pe.Cause != nil && !errors.As(pe.Cause, new(*openapi3filter.ParseError)) {
			return capText(strings.TrimPrefix(pe.Reason+": "+capText(pe.Cause.Error()), ": "))
		}
		return capText(pe.Reason)
	}
	return capText(err.Error())
}

// fromRequestError maps openapi3filter's request errors to a
// ValidationError whose texts are bounded (see capText).
func fromRequestError(op string, err error) *ValidationError {
	ve := &ValidationError{Operation: op, Direction: Request, Field: "request", Err: err}
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		ve.Reason = errText(err)
		return ve
	}
	switch {
	case re.Parameter != nil:
		ve.Field = capText(re.Parameter.In + "." + re.Parameter.Name)
	case re.RequestBody != nil:
		ve.Field = "body"
	}
	ve.Reason = capText(re.Reason)
	if f, r, ok := fromSchemaError(ve.Field, re.Err); ok && (re.Parameter != nil || re.RequestBody != nil) {
		ve.Field, ve.Reason = f, r
	} else if re.Err != nil {
		ve.Reason = capText(strings.TrimPrefix(strings.TrimSpace(ve.Reason+": "+errText(re.Err)), ": "))
	}
	if ve.Reason == "" {
		ve.Reason = "does not match the spec"
	}
	return ve
}
