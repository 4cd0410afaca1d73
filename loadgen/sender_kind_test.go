package loadgen

import (
	"strings"
	"testing"
)

// statusKind names 4xx answers after the envelope's code, bounded: a code
// longer than maxKindCode, or no envelope, names the status instead.
func TestStatusKind(t *testing.T) {
	cache := map[string]string{}
	long := strings.Repeat("x", maxKindCode+1)
	for _, c := range []struct {
		status int
		body   string
		want   string
	}{
		{200, `{"error":"ignored"}`, ""},
		{429, `{"error":"reach_limit"}`, Kind429},
		{400, `{"error":"illegal_argument","timestamp":"bad"}`, "4xx:illegal_argument"},
		{401, `{"exception":"\"error\":\"forged\""}`, "4xx:401"},
		{400, `{"error":"` + long + `"}`, "4xx:400"},
		{404, `not json`, "4xx:404"},
		{503, `{"error":"busy"}`, "5xx:503"},
	} {
		if got := statusKind(c.status, []byte(c.body), cache); got != c.want {
			t.Errorf("statusKind(%d, %.40s) = %q, want %q", c.status, c.body, got, c.want)
		}
	}
	if len(cache) != 1 {
		t.Errorf("cache holds %d kinds, want the one named from a code: %v", len(cache), cache)
	}
}
