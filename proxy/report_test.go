package proxy_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/proxy"
	"github.com/presencekit/presencekit/spec"
)

// syncBuffer is a bytes.Buffer safe for the proxy's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestReportAndLog drives a broken mock through the proxy and reads the
// violations back from the JSON-lines log and both forms of the report.
func TestReportAndLog(t *testing.T) {
	doc := loadDoc(t)
	var log syncBuffer
	front, px := startProxy(t, startMock(t, doc, mock.Break(spec.RuleSubEntryPerUser)), doc, proxy.WithSink(proxy.JSONLines(&log, nil)))
	send(t, http.MethodPost, front+base+"/users/u/presence/60", `{"usernames":["a","b"]}`, http.Header{"Authorization": {"Bearer presencekit-mock-token"}})
	send(t, http.MethodPost, front+base+"/users/u/presence/60", `{"usernames":[]}`, nil)
	if err := px.Flush(t.Context()); err != nil { // report mode judges after answering
		t.Fatal(err)
	}

	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2:\n%s", len(lines), log.String())
	}
	var v proxy.Violation
	if err := json.Unmarshal([]byte(lines[0]), &v); err != nil {
		t.Fatal(err)
	}
	if v.Rule == "" || v.Operation != spec.OpSubscribe || v.Method != http.MethodPost || v.Path == "" || v.Time.IsZero() {
		t.Errorf("log line incomplete: %s", lines[0])
	}
	if strings.Contains(log.String(), "s3cret") || strings.Contains(log.String(), "presencekit-mock-token") {
		t.Errorf("the log holds a bearer token:\n%s", log.String())
	}

	ans := send(t, http.MethodGet, front+proxy.ReportPath, "", nil)
	var snap proxy.Snapshot
	if err := json.Unmarshal(ans.body, &snap); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, ans.body)
	}
	if got := snap.Rules(""); !slices.Equal(got, []spec.RuleID{spec.RuleSubEntryPerUser, spec.RuleSubUsersNonempty}) {
		t.Errorf("report rules %v", got)
	}
	if snap.Stats.Requests != 2 || len(snap.Recent) != 2 {
		t.Errorf("report stats %+v, %d recent", snap.Stats, len(snap.Recent))
	}
	for _, h := range []http.Header{{"Accept": {"text/html,*/*"}}, nil} {
		url := front + proxy.ReportPath
		if h == nil {
			url += "?format=html"
		}
		page := send(t, http.MethodGet, url, "", h)
		html := string(page.body)
		if !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
			t.Errorf("content type %q", page.header.Get("Content-Type"))
		}
		for _, want := range []string{"subscribePresence", string(spec.RuleSubEntryPerUser), string(spec.RuleSubUsersNonempty), "body.result[0].uid"} {
			if !strings.Contains(html, want) {
				t.Errorf("HTML report lacks %q", want)
			}
		}
		for _, outside := range []string{"<script", "<link", "src=", "@import"} {
			if strings.Contains(html, outside) {
				t.Errorf("HTML report is not self-contained: %q", outside)
			}
		}
	}
}
