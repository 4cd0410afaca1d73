package client

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRedactorMasksShapesAndValues(t *testing.T) {
	const marker = "S3cr3tMarker"
	r := NewRedactor(marker, "", "ab")
	cases := []struct{ in, gone string }{
		{"Authorization: Bearer " + marker, marker},
		{"authorization: bearer anything-else", "anything-else"},
		{`map[Authorization:[Bearer tok123]]`, "tok123"},
		{`{"grant_type":"client_credentials","client_id":"id","client_secret":"other-secret"}`, "other-secret"},
		{`{"access_token":"at-value","expires_in":10}`, "at-value"},
		{"client_secret=form-secret&x=1", "form-secret"},
		{"http://user:pw-in-url@host/path", "pw-in-url"},
		{"refused secret " + marker + "-wrong in a body", marker},
		{"escaped " + strings.ReplaceAll(marker, "M", "M") + "%2F", marker},
	}
	for _, c := range cases {
		got := r.String(c.in)
		if strings.Contains(got, c.gone) {
			t.Errorf("String(%q) = %q: still holds %q", c.in, got, c.gone)
		}
		if !strings.Contains(got, Redacted) {
			t.Errorf("String(%q) = %q: no %s", c.in, got, Redacted)
		}
	}
	// Short values are not masked by value (they would garble the text),
	// and prose about bearer tokens is left alone.
	for _, s := range []string{"a basic shape", "send a bearer token", "tab and ab"} {
		if got := r.String(s); got != s {
			t.Errorf("String(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestRedactorEscapedForms(t *testing.T) {
	r := NewRedactor("a b/c")
	for _, in := range []string{"q=a+b%2Fc", "/p/a%20b%2Fc", "raw a b/c"} {
		if got := r.String(in); strings.Contains(got, "b%2Fc") || strings.Contains(got, "b/c") {
			t.Errorf("String(%q) = %q", in, got)
		}
	}
}

func TestRedactorURLAndError(t *testing.T) {
	r := NewRedactor()
	if got := r.URL("http://user:pw@127.0.0.1:8080/x"); strings.Contains(got, "pw") || !strings.Contains(got, "user") {
		t.Errorf("URL = %q", got)
	}
	if got := r.Error(fmt.Errorf("wrapped: %w", errors.New("Authorization: Bearer xyz"))); strings.Contains(got, "xyz") {
		t.Errorf("Error = %q", got)
	}
	if r.Error(nil) != "" {
		t.Error("Error(nil) not empty")
	}
	var nilR *Redactor
	if got := nilR.String("Authorization: Bearer xyz"); strings.Contains(got, "xyz") {
		t.Errorf("nil Redactor: %q", got)
	}
}

func TestRedactorWriter(t *testing.T) {
	var buf bytes.Buffer
	r := NewRedactor("topsecret")
	w := r.Writer(&buf)
	n, err := fmt.Fprintf(w, "token topsecret here\n")
	if err != nil || n != len("token topsecret here\n") {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if strings.Contains(buf.String(), "topsecret") {
		t.Errorf("writer leaked: %q", buf.String())
	}
	r.Add("later-secret")
	fmt.Fprint(w, "later-secret")
	if strings.Contains(buf.String(), "later-secret") {
		t.Errorf("Add after Writer not honoured: %q", buf.String())
	}
}
