package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// seen is one request as the fake server received it.
type seen struct {
	Method     string
	RequestURI string
	Header     http.Header
	Body       []byte
}

// recorder is a fake server that records requests and answers with reply.
type recorder struct {
	mu    sync.Mutex
	reqs  []seen
	reply func(w http.ResponseWriter, r *http.Request, body []byte)
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, seen{r.Method, r.RequestURI, r.Header.Clone(), body})
	rec.mu.Unlock()
	rec.reply(w, r, body)
}

func (rec *recorder) last(t *testing.T) seen {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.reqs) == 0 {
		t.Fatal("server saw no request")
	}
	return rec.reqs[len(rec.reqs)-1]
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.reqs)
}

// fixed answers every request with status and body.
func fixed(status int, body string) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// newFake starts a recorder and a client of it with a static token.
func newFake(t *testing.T, status int, body string, opts ...Option) (*Client, *recorder) {
	t.Helper()
	rec := &recorder{reply: fixed(status, body)}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "org", "app", append([]Option{WithToken("tok")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

// jsonEqual compares two JSON texts by value.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %q: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("body = %s, want %s", gb, wb)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	cases := map[string]func() (*Client, error){
		"no scheme":     func() (*Client, error) { return New("a1.easemob.com", "o", "a") },
		"ftp":           func() (*Client, error) { return New("ftp://h", "o", "a") },
		"query":         func() (*Client, error) { return New("http://h/?x=1", "o", "a") },
		"empty org":     func() (*Client, error) { return New("http://h", "", "a") },
		"empty token":   func() (*Client, error) { return New("http://h", "o", "a", WithToken("")) },
		"empty secret":  func() (*Client, error) { return New("http://h", "o", "a", WithClientCredentials("id", "")) },
		"nil client":    func() (*Client, error) { return New("http://h", "o", "a", WithHTTPClient(nil)) },
		"empty agent":   func() (*Client, error) { return New("http://h", "o", "a", WithUserAgent("")) },
		"short ttl":     func() (*Client, error) { return New("http://h", "o", "a", WithTokenTTL(0)) },
		"zero max body": func() (*Client, error) { return New("http://h", "o", "a", WithMaxResponseBytes(0)) },
	}
	for name, mk := range cases {
		if c, err := mk(); err == nil || c != nil {
			t.Errorf("%s: got client %v, err %v; want an error", name, c, err)
		}
	}
}

// TestOperations checks each operation's request line, headers and body,
// and that the vendor's example answers decode.
func TestOperations(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		reply    string
		call     func(c *Client) (any, *Response, error)
		method   string
		uri      string
		body     string // "" for no body
		wantCT   bool
		check    func(t *testing.T, got any)
		skipAuth bool
	}{
		{
			name:  "setPresenceStatus",
			reply: `{"result":"ok"}`,
			call: func(c *Client) (any, *Response, error) {
				return c.SetPresence(ctx, "c1", "android_123", "1", "busy")
			},
			method: "POST", uri: "/org/app/users/c1/presence/android_123/1", body: `{"ext":"busy"}`, wantCT: true,
			check: func(t *testing.T, got any) {
				if !got.(*AckResult).OK() {
					t.Errorf("result = %+v", got)
				}
			},
		},
		{
			name: "subscribePresence",
			reply: `{"result":[{"uid":"c2","last_time":"1644466063","expiry":"1645500371","ext":"123",
				"status":{"android":"1"}},{"uid":"c3","last_time":1645183991,"expiry":1645500371,"ext":"","status":{}}]}`,
			call: func(c *Client) (any, *Response, error) {
				return c.Subscribe(ctx, "wzy", 1000, []string{"c2", "c3"})
			},
			method: "POST", uri: "/org/app/users/wzy/presence/1000", body: `{"usernames":["c2","c3"]}`, wantCT: true,
			check: func(t *testing.T, got any) {
				r := got.(*SubscribeResult).Result
				if len(r) != 2 || r[0].UID != "c2" || r[0].Status["android"] != "1" || r[0].Ext != "123" {
					t.Fatalf("result = %+v", r)
				}
				if r[0].LastTime != (Int64{1644466063, FormString}) || r[0].Expiry != (Int64{1645500371, FormString}) {
					t.Errorf("string numbers = %+v %+v", r[0].LastTime, r[0].Expiry)
				}
				if r[1].LastTime != (Int64{1645183991, FormNumber}) || r[1].Expiry != (Int64{1645500371, FormNumber}) {
					t.Errorf("JSON numbers = %+v %+v", r[1].LastTime, r[1].Expiry)
				}
			},
		},
		{
			name:  "subscribePresence raw expiry",
			reply: `{"result":[]}`,
			call: func(c *Client) (any, *Response, error) {
				return c.SubscribeRaw(ctx, "wzy", "abc", []string{})
			},
			method: "POST", uri: "/org/app/users/wzy/presence/abc", body: `{"usernames":[]}`, wantCT: true,
		},
		{
			name:  "getPresenceStatus",
			reply: `{"result":[{"uid":"c2","last_time":"1644466063","ext":"","status":{"android":"0"}}]}`,
			call: func(c *Client) (any, *Response, error) {
				return c.GetPresence(ctx, "wzy", []string{"c2"})
			},
			method: "POST", uri: "/org/app/users/wzy/presence", body: `{"usernames":["c2"]}`, wantCT: true,
			check: func(t *testing.T, got any) {
				r := got.(*PresenceResult).Result
				if len(r) != 1 || r[0].LastTime.Value != 1644466063 || r[0].Expiry.Form != FormAbsent {
					t.Errorf("result = %+v", r)
				}
			},
		},
		{
			name:  "getGroupOnlineCount",
			reply: `{"result":100}`,
			call: func(c *Client) (any, *Response, error) {
				return c.GroupOnlineCount(ctx, "g1", 1)
			},
			method: "GET", uri: "/org/app/presence/online/g1/type/1",
			check: func(t *testing.T, got any) {
				if r := got.(*GroupOnlineResult).Result; r != (Int64{100, FormNumber}) {
					t.Errorf("result = %+v", r)
				}
			},
		},
		{
			name:  "unsubscribePresence object",
			reply: `{"result":"ok"}`,
			call: func(c *Client) (any, *Response, error) {
				return c.Unsubscribe(ctx, "wzy", []string{"c1"}, UnsubscribeObject)
			},
			method: "DELETE", uri: "/org/app/users/wzy/presence", body: `{"users":["c1"]}`, wantCT: true,
		},
		{
			name:  "unsubscribePresence array",
			reply: `{"result":"ok"}`,
			call: func(c *Client) (any, *Response, error) {
				return c.Unsubscribe(ctx, "wzy", []string{"c1", "c2"}, UnsubscribeArray)
			},
			method: "DELETE", uri: "/org/app/users/wzy/presence", body: `["c1","c2"]`, wantCT: true,
		},
		{
			name:  "listSubscriptions",
			reply: `{"result":{"totalnum":"2","sublist":[{"uid":"lxml2","expiry":"1645822322"},{"uid":"lxml1","expiry":1645822322}]}}`,
			call: func(c *Client) (any, *Response, error) {
				return c.ListSubscriptions(ctx, "wzy", Page(1, 100))
			},
			method: "GET", uri: "/org/app/users/wzy/presence/sublist?pageNum=1&pageSize=100", wantCT: true,
			check: func(t *testing.T, got any) {
				r := got.(*SublistResult).Result
				if r.TotalNum != (Int64{2, FormString}) || len(r.Sublist) != 2 || r.Sublist[0].UID != "lxml2" ||
					r.Sublist[0].Expiry.Form != FormString || r.Sublist[1].Expiry.Form != FormNumber {
					t.Errorf("result = %+v", r)
				}
			},
		},
		{
			name:  "getAppToken",
			reply: `{"access_token":"YWMt","expires_in":"5184000","application":"8be024f0"}`,
			call: func(c *Client) (any, *Response, error) {
				return c.GetAppToken(ctx, TokenRequest{ClientID: "id", ClientSecret: "s", TTL: 60})
			},
			method: "POST", uri: "/org/app/token", wantCT: true, skipAuth: true,
			body: `{"grant_type":"client_credentials","client_id":"id","client_secret":"s","ttl":60}`,
			check: func(t *testing.T, got any) {
				r := got.(*TokenResult)
				if r.AccessToken != "YWMt" || r.ExpiresIn.Value != 5184000 || r.Application != "8be024f0" {
					t.Errorf("result = %+v", r)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, rec := newFake(t, http.StatusOK, tc.reply, WithUserAgent("ua-test"))
			got, resp, err := tc.call(c)
			if err != nil {
				t.Fatal(err)
			}
			r := rec.last(t)
			if r.Method != tc.method || r.RequestURI != tc.uri {
				t.Errorf("request = %s %s, want %s %s", r.Method, r.RequestURI, tc.method, tc.uri)
			}
			wantAuth := "Bearer tok"
			if tc.skipAuth {
				wantAuth = ""
			}
			if a := r.Header.Get("Authorization"); a != wantAuth {
				t.Errorf("Authorization = %q, want %q", a, wantAuth)
			}
			if ct := r.Header.Get("Content-Type"); (ct == "application/json") != tc.wantCT {
				t.Errorf("Content-Type = %q, want set: %v", ct, tc.wantCT)
			}
			if a := r.Header.Get("Accept"); a != "application/json" {
				t.Errorf("Accept = %q", a)
			}
			if ua := r.Header.Get("User-Agent"); ua != "ua-test" {
				t.Errorf("User-Agent = %q", ua)
			}
			if tc.body == "" {
				if len(r.Body) != 0 {
					t.Errorf("body = %q, want none", r.Body)
				}
			} else {
				jsonEqual(t, r.Body, tc.body)
				if string(resp.RequestBody) != string(r.Body) {
					t.Errorf("Response.RequestBody = %q, sent %q", resp.RequestBody, r.Body)
				}
			}
			if resp.Status != 200 || string(resp.Body) != tc.reply || resp.Request.Method != tc.method {
				t.Errorf("response = %d %q (request %s)", resp.Status, resp.Body, resp.Request.Method)
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

func TestPathSegmentsAreEscaped(t *testing.T) {
	c, rec := newFake(t, 200, `{"result":"ok"}`)
	if _, _, err := c.SetPresence(context.Background(), "a/b c?#%", "web_1", "be right back", ""); err != nil {
		t.Fatal(err)
	}
	want := "/org/app/users/a%2Fb%20c%3F%23%25/presence/web_1/be%20right%20back"
	if got := rec.last(t).RequestURI; got != want {
		t.Errorf("RequestURI = %s, want %s", got, want)
	}
}

func TestBaseURLPathPrefixAndEscapedOrgApp(t *testing.T) {
	rec := &recorder{reply: fixed(200, `{"result":1}`)}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	c, err := New(srv.URL+"/gw/", "my org", "app")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.GroupOnlineCount(context.Background(), "g", 0); err != nil {
		t.Fatal(err)
	}
	r := rec.last(t)
	if r.RequestURI != "/gw/my%20org/app/presence/online/g/type/0" {
		t.Errorf("RequestURI = %s", r.RequestURI)
	}
	if a, ok := r.Header["Authorization"]; ok {
		t.Errorf("a client with no token sent Authorization %q", a)
	}
}

func TestSublistQueryOmission(t *testing.T) {
	cases := []struct {
		q    SublistQuery
		want string
	}{
		{SublistQuery{}, ""},
		{SublistQuery{PageNum: "2"}, "pageNum=2"},
		{SublistQuery{PageSize: "500"}, "pageSize=500"},
		{SublistQuery{PageNum: "abc", PageSize: "0"}, "pageNum=abc&pageSize=0"},
	}
	c, rec := newFake(t, 200, `{"result":{"totalnum":0,"sublist":[]}}`)
	for _, tc := range cases {
		if _, _, err := c.ListSubscriptions(context.Background(), "u", tc.q); err != nil {
			t.Fatal(err)
		}
		u, _ := url.ParseRequestURI(rec.last(t).RequestURI)
		if u.Path != "/org/app/users/u/presence/sublist" || u.RawQuery != tc.want {
			t.Errorf("%+v: sent %s, want query %q", tc.q, u, tc.want)
		}
	}
}

func TestAPIErrorCarriesEnvelope(t *testing.T) {
	body := `{"error":"illegal_argument","exception":"java.lang.IllegalArgumentException",
		"timestamp":1645000000000,"duration":"0","error_description":"too many sub presence"}`
	c, _ := newFake(t, http.StatusBadRequest, body)
	res, resp, err := c.Subscribe(context.Background(), "u", 60, make([]string, 101))
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v (%T), want *APIError", err, err)
	}
	if res != nil || resp == nil || apiErr.Response != resp {
		t.Errorf("res = %v, resp = %v, apiErr.Response = %v", res, resp, apiErr.Response)
	}
	e := apiErr.Envelope
	if apiErr.Status != 400 || e.Error != "illegal_argument" || e.Description != "too many sub presence" ||
		e.Timestamp != (Int64{1645000000000, FormNumber}) || e.Duration != (Int64{0, FormString}) ||
		e.Exception != "java.lang.IllegalArgumentException" || apiErr.EnvelopeErr != nil {
		t.Errorf("APIError = %+v", apiErr)
	}
	msg := err.Error()
	if !strings.Contains(msg, "400") || !strings.Contains(msg, "too many sub presence") || strings.Contains(msg, "tok") {
		t.Errorf("message %q: want status and description, never the token", msg)
	}
}

func TestAPIErrorWithoutEnvelope(t *testing.T) {
	c, _ := newFake(t, http.StatusMethodNotAllowed, "<html>nope</html>")
	_, resp, err := c.GetPresence(context.Background(), "u", []string{"a"})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 405 || apiErr.EnvelopeErr == nil || resp == nil {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), "<html>nope</html>") {
		t.Errorf("message %q should quote the body", err)
	}
}

func TestDecodeErrorKeepsResponse(t *testing.T) {
	c, _ := newFake(t, 200, `{"result":[{"uid":"a","last_time":"12.5"}]}`)
	res, resp, err := c.GetPresence(context.Background(), "u", []string{"a"})
	var de *DecodeError
	if !errors.As(err, &de) || de.Op != "getPresenceStatus" || res != nil || resp == nil || de.Response != resp {
		t.Fatalf("res = %v, resp = %v, err = %v", res, resp, err)
	}
	if !strings.Contains(err.Error(), "12.5") {
		t.Errorf("err = %v, want it to name the bad value", err)
	}
}

func TestDoSendsRawRequests(t *testing.T) {
	c, rec := newFake(t, http.StatusUnsupportedMediaType, `{"error":"unsupported_media_type"}`)
	hdr := http.Header{"Content-Type": {"text/plain"}, "accept": nil, "X-Probe": {"1"}}
	resp, err := c.Do(context.Background(), "POST", "users/u%2F1/presence", url.Values{"a": {"x y"}}, []byte(`{"usernames":`), hdr)
	if err != nil {
		t.Fatalf("Do returned %v for a non-2xx status; want it only for transport failures", err)
	}
	r := rec.last(t)
	if r.RequestURI != "/org/app/users/u%2F1/presence?a=x+y" || string(r.Body) != `{"usernames":` {
		t.Errorf("sent %s %q", r.RequestURI, r.Body)
	}
	if r.Header.Get("Content-Type") != "text/plain" || r.Header.Get("X-Probe") != "1" || r.Header.Get("Authorization") != "Bearer tok" {
		t.Errorf("headers = %v", r.Header)
	}
	if _, ok := r.Header["Accept"]; ok {
		t.Errorf("Accept was removed by a nil entry but sent: %v", r.Header["Accept"])
	}
	var apiErr *APIError
	if resp.Status != 415 || !errors.As(resp.Err(), &apiErr) || apiErr.Envelope.Error != "unsupported_media_type" {
		t.Errorf("resp = %d, Err = %v", resp.Status, resp.Err())
	}
}

func TestDoEmptyBodyStillTyped(t *testing.T) {
	c, rec := newFake(t, 400, `{}`)
	if _, err := c.Do(context.Background(), "POST", "/users/u/presence", nil, []byte{}, nil); err != nil {
		t.Fatal(err)
	}
	r := rec.last(t)
	if len(r.Body) != 0 || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("sent body %q with Content-Type %q", r.Body, r.Header.Get("Content-Type"))
	}
}

func TestCallAuthOptions(t *testing.T) {
	c, rec := newFake(t, 401, `{"error":"unauthorized"}`)
	ctx := context.Background()
	_, _, err := c.GetPresence(ctx, "u", []string{"a"}, WithoutAuth())
	if _, ok := rec.last(t).Header["Authorization"]; ok || err == nil {
		t.Errorf("WithoutAuth sent Authorization (err %v)", err)
	}
	_, _, _ = c.GetPresence(ctx, "u", []string{"a"}, WithBearer("wrong"))
	if a := rec.last(t).Header.Get("Authorization"); a != "Bearer wrong" {
		t.Errorf("WithBearer sent %q", a)
	}
	_, _ = c.Do(ctx, "GET", "/users/u/presence/sublist", nil, nil, http.Header{"Authorization": {"Basic eDp5"}})
	if a := rec.last(t).Header.Get("Authorization"); a != "Basic eDp5" {
		t.Errorf("explicit header sent %q", a)
	}
	if n := rec.count(); n != 3 {
		t.Errorf("server saw %d requests, want 3 (a static token is never retried)", n)
	}
}

func TestTransportErrorIsWrapped(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	c, err := New(srv.URL, "o", "a", WithToken("t"))
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	_, resp, err := c.GetPresence(context.Background(), "u", []string{"a"})
	var ue *url.Error
	if !errors.As(err, &ue) || resp != nil {
		t.Errorf("err = %v (%T), resp = %v; want a wrapped *url.Error", err, err, resp)
	}
}

func TestResponseBodyCap(t *testing.T) {
	c, _ := newFake(t, 200, `{"result":"`+strings.Repeat("x", 100)+`"}`, WithMaxResponseBytes(64))
	_, resp, err := c.SetPresence(context.Background(), "u", "r", "1", "")
	if err == nil || !strings.Contains(err.Error(), "over 64 bytes") || resp == nil || len(resp.Body) != 64 {
		t.Errorf("err = %v, resp = %v", err, resp)
	}
}

func TestUnknownUnsubscribeForm(t *testing.T) {
	c, _ := newFake(t, 200, `{"result":"ok"}`)
	if _, _, err := c.Unsubscribe(context.Background(), "u", []string{"a"}, UnsubscribeForm(9)); err == nil {
		t.Error("want an error for an unknown body form")
	}
}
