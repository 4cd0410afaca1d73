package mock

import (
	"strconv"
	"unicode/utf8"

	"github.com/presencekit/presencekit/spec"
)

// Answers are appended into pooled byte slices: no reflection, no
// per-request allocation on the hot path.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaping what RFC 8259
// requires and replacing invalid UTF-8 with U+FFFD.
func appendJSONString[T string | []byte](b []byte, s T) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		var r rune
		var n int
		switch v := any(s).(type) {
		case string:
			r, n = utf8.DecodeRuneInString(v[i:])
		case []byte:
			r, n = utf8.DecodeRune(v[i:])
		}
		if r == utf8.RuneError && n == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += n
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendQuotedInt appends n as a decimal string in quotes, the vendor's
// form for last_time, expiry and totalnum (docs/contract.md#d5).
func appendQuotedInt(b []byte, n int64) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, n, 10)
	return append(b, '"')
}

// apiError is one answer in the vendor's error envelope.
type apiError struct {
	status    int
	code      string
	exception string
	desc      string
}

// Error codes and exceptions of the envelope (docs/contract.md#d2).
const (
	codeIllegalArgument = "illegal_argument"
	codeJSONParse       = "json_parse"
	codeUnauthorized    = "unauthorized"
	codeNotFound        = "service_resource_not_found"
	codeOrgAppNotFound  = "organization_application_not_found"
	codeMethod          = "method_not_allowed"
	codeTooLarge        = "request_entity_too_large"
	codeMediaType       = "unsupported_media_type"
	codeReachLimit      = "reach_limit"
	codeUnavailable     = "service_unavailable"
)

// Descriptions of the vendor's pages (docs/contract.md#d2).
const (
	descUsernamesEmpty  = "usernames is empty"
	descTooManySub      = "too many sub presence"
	descTooManyGet      = "too many get presences"
	descTooManyUnsub    = "too many unsub presences"
	descExtNull         = "ext cannot be null"
	descExtTooBig       = "ext is too big"
	descSubSelf         = "you can't sub yourself"
	descQueryType       = "Type must be 0 or 1."
	descReachLimit      = "This request has reached api limit"
	descUnauthorized    = "Unable to authenticate due to corrupt access token"
	descMissingAuth     = "Unable to authenticate (OAuth)"
	descBadCredentials  = "invalid client_id or client_secret"
	descUnavailable     = "Service unavailable (injected fault)"
	descTooLarge        = "request body is too large"
	descMediaType       = "Content-Type must be application/json"
	descJSONParse       = "Invalid JSON in the request body"
	descNotFound        = "Service resource not found"
	descOrgAppNotFound  = "Could not find application for the given org and app name"
	descMethod          = "Request method not supported"
	descExpiry          = "expiry must be an integer between the minimum and the maximum"
	descPageNum         = "pageNum must be an integer ≥ the minimum"
	descPageSize        = "pageSize must be an integer in range"
	descPastEnd         = "pageNum is past the last page"
	descEmptyUsername   = "username cannot be empty"
	descResourceShape   = "resource must be {type}_{id}"
	descGrantType       = "grant_type must be client_credentials"
	descEmptyPathUser   = "username in the path cannot be empty"
	exceptionIllegalArg = "java.lang.IllegalArgumentException"
)

func errIllegal(desc string) *apiError {
	return &apiError{400, codeIllegalArgument, exceptionIllegalArg, desc}
}

var (
	errJSON         = &apiError{400, codeJSONParse, "com.fasterxml.jackson.core.JsonParseException", descJSONParse}
	errUnauthorized = &apiError{401, codeUnauthorized, "UnauthorizedException", descUnauthorized}
	errMissingAuth  = &apiError{401, codeUnauthorized, "UnauthorizedException", descMissingAuth}
	errBadCreds     = &apiError{401, codeUnauthorized, "UnauthorizedException", descBadCredentials}
	errNotFound     = &apiError{404, codeNotFound, "ServiceResourceNotFoundException", descNotFound}
	errOrgApp       = &apiError{404, codeOrgAppNotFound, "OrganizationApplicationNotFoundException", descOrgAppNotFound}
	errMethod       = &apiError{405, codeMethod, "HttpRequestMethodNotSupportedException", descMethod}
	errTooLarge     = &apiError{413, codeTooLarge, "RequestEntityTooLargeException", descTooLarge}
	errMediaType    = &apiError{415, codeMediaType, "HttpMediaTypeNotSupportedException", descMediaType}
	errReachLimit   = &apiError{429, codeReachLimit, "EasemobReachLimitException", descReachLimit}
	errUnavailable  = &apiError{503, codeUnavailable, "ServiceUnavailableException", descUnavailable}
)

// appendError appends the envelope. tsMillis is the answer's timestamp;
// breaks may alter the code, the timestamp unit and duration's type.
func (s *Server) appendError(b []byte, e *apiError, tsMillis int64, op string) []byte {
	code := e.code
	switch {
	case e.code == codeIllegalArgument && (s.brk.errIllegalArgument ||
		(s.brk.errIllegalPaging && op == spec.OpSublist) || (s.brk.errIllegalSub && op == spec.OpSubscribe)):
		code = "bad_request"
	case e.code == codeJSONParse && (s.brk.errJSONParse || (s.brk.errJSONSub && op == spec.OpSubscribe)):
		code = codeIllegalArgument
	case e.status == 401 && (s.brk.auth401Code || (s.brk.auth401Wrong && e != errMissingAuth)):
		code = "invalid_token"
	case e == errMissingAuth && s.brk.auth401Missing:
		code = "missing_token"
	}
	switch {
	case s.brk.errEnvelope, s.brk.errEnvelopeAuth && e.status == 401:
		tsMillis /= 1000
	case s.brk.errEnvelopeMicros:
		tsMillis *= 1000
	}
	b = append(b, `{"error":`...)
	b = appendJSONString(b, code)
	b = append(b, `,"exception":`...)
	b = appendJSONString(b, e.exception)
	b = append(b, `,"timestamp":`...)
	b = strconv.AppendInt(b, tsMillis, 10)
	if s.brk.schemaResponse {
		b = append(b, `,"duration":"0"`...)
	} else {
		b = append(b, `,"duration":0`...)
	}
	b = append(b, `,"error_description":`...)
	desc := e.desc
	if t, ok := s.cfg.ErrorTexts[desc]; ok {
		desc = t
	}
	b = appendJSONString(b, desc)
	return append(b, '}')
}
