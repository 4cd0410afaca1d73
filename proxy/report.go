package proxy

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/presencekit/presencekit/spec"
)

// FlushTimeout bounds how long ReportPath?flush=1 waits for the
// validators.
const FlushTimeout = 5 * time.Second

// maxFields bounds the distinct fields a report group counts, so a client
// sending ever-new garbage cannot grow the report without end.
const maxFields = 32

// otherFields counts the fields past maxFields.
const otherFields = "(other fields)"

// Stats are the proxy's totals since it started.
type Stats struct {
	Requests int64 `json:"requests"`
	// Unrouted requests match no operation of the spec (another API, the
	// mock's /_mock/ admin, a wrong method): forwarded, not judged. Paths
	// servers may route differently are counted here too, and recorded
	// (and refused in enforce mode) as RuleUnjudged.
	Unrouted int64 `json:"unrouted"`
	// UncheckedRequests and UncheckedResponses had bodies over the buffer
	// limit (or an encoding the proxy cannot read): not judged. Such a
	// request's URL is judged all the same; it is refused in enforce mode
	// unless WithFailOpen, and recorded as RuleUnjudged.
	UncheckedRequests  int64 `json:"unchecked_requests"`
	UncheckedResponses int64 `json:"unchecked_responses"`
	// UncheckedBusy are exchanges forwarded but never judged because the
	// validators' queue was full (ModeReport; see WithValidators), or
	// still waiting when Close's drain timed out.
	UncheckedBusy int64 `json:"unchecked_busy"`
	// HeaderTooLarge are requests whose request line and headers exceeded
	// the limit (WithMaxHeaderBytes): answered 431, never forwarded.
	HeaderTooLarge int64 `json:"header_too_large"`
	// UpstreamErrors are requests the target did not answer (502 sent).
	UpstreamErrors int64 `json:"upstream_errors"`
	// Blocked counts answers enforce mode made up (400 or 502).
	Blocked            int64 `json:"blocked"`
	RequestViolations  int64 `json:"request_violations"`
	ResponseViolations int64 `json:"response_violations"`
}

// Group is every violation of one rule by one operation in one direction.
type Group struct {
	Operation string         `json:"operation"`
	Rule      spec.RuleID    `json:"rule"`
	Level     spec.Level     `json:"level,omitempty"`
	Statement string         `json:"statement,omitempty"`
	Direction spec.Direction `json:"direction"`
	Count     int64          `json:"count"`
	FirstSeen time.Time      `json:"first_seen"`
	LastSeen  time.Time      `json:"last_seen"`
	// Fields counts the violations per offending field.
	Fields map[string]int64 `json:"fields"`
	// Last is the latest violation, as an example.
	Last Violation `json:"last"`
}

// Snapshot is the report at one moment: what /_proxy/report serves.
type Snapshot struct {
	Target    string      `json:"target"`
	Mode      Mode        `json:"mode"`
	Started   time.Time   `json:"started"`
	Generated time.Time   `json:"generated"`
	Stats     Stats       `json:"stats"`
	Groups    []Group     `json:"groups"`
	Recent    []Violation `json:"recent"`
}

// Violations is the number of violations in the snapshot.
func (s Snapshot) Violations() int64 { return s.Stats.RequestViolations + s.Stats.ResponseViolations }

// Rules lists the rules with a violation in direction d (all directions
// when d is ""), sorted, for tests and summaries.
func (s Snapshot) Rules(d spec.Direction) []spec.RuleID {
	var out []spec.RuleID
	for _, g := range s.Groups {
		if (d == "" || g.Direction == d) && !slices.Contains(out, g.Rule) {
			out = append(out, g.Rule)
		}
	}
	slices.Sort(out)
	return out
}

type groupKey struct {
	op   string
	rule spec.RuleID
	dir  spec.Direction
}

// report aggregates violations in memory.
type report struct {
	mu      sync.Mutex
	started time.Time
	groups  map[groupKey]*Group
	recent  []Violation // ring buffer
	next    int
	size    int
	// rule looks up a group's level and statement in the proxy's document,
	// so a group states the limits the proxy judges by (a profile's too).
	rule func(spec.RuleID) (spec.Rule, bool)
}

func newReport(recent int, started time.Time, rule func(spec.RuleID) (spec.Rule, bool)) *report {
	return &report{started: started.UTC(), groups: map[groupKey]*Group{}, recent: make([]Violation, 0, recent), size: recent, rule: rule}
}

func (r *report) add(v Violation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := groupKey{v.Operation, v.Rule, v.Direction}
	g := r.groups[k]
	if g == nil {
		g = &Group{Operation: v.Operation, Rule: v.Rule, Direction: v.Direction, FirstSeen: v.Time, Fields: map[string]int64{}}
		if rule, ok := r.rule(v.Rule); ok {
			g.Level, g.Statement = rule.Level, rule.Statement
		}
		r.groups[k] = g
	}
	g.Count++
	g.LastSeen, g.Last = v.Time, v
	if _, ok := g.Fields[v.Field]; ok || len(g.Fields) < maxFields {
		g.Fields[v.Field]++
	} else {
		g.Fields[otherFields]++
	}
	if r.size == 0 {
		return
	}
	if len(r.recent) < r.size {
		r.recent = append(r.recent, v)
		return
	}
	r.recent[r.next] = v
	r.next = (r.next + 1) % r.size
}

// Snapshot returns the report so far: groups sorted by operation, rule and
// direction, the recent violations oldest first.
func (p *Proxy) Snapshot() Snapshot {
	s := Snapshot{Target: p.target.String(), Mode: p.cfg.mode, Generated: p.cfg.wall().UTC(), Stats: p.Stats()}
	r := p.rep
	r.mu.Lock()
	s.Started = r.started
	for _, g := range r.groups {
		c := *g
		c.Fields = make(map[string]int64, len(g.Fields))
		for f, n := range g.Fields {
			c.Fields[f] = n
		}
		s.Groups = append(s.Groups, c)
	}
	s.Recent = append(append([]Violation{}, r.recent[r.next:]...), r.recent[:r.next]...)
	r.mu.Unlock()
	slices.SortFunc(s.Groups, func(a, b Group) int {
		return cmp.Or(cmp.Compare(a.Operation, b.Operation), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Direction, b.Direction))
	})
	return s
}

// Stats returns the totals so far.
func (p *Proxy) Stats() Stats {
	c := &p.stats
	return Stats{Requests: c.requests.Load(), Unrouted: c.unrouted.Load(),
		UncheckedRequests: c.uncheckedReq.Load(), UncheckedResponses: c.uncheckedResp.Load(), UncheckedBusy: c.uncheckedBusy.Load(),
		HeaderTooLarge: c.headerTooLarge.Load(), UpstreamErrors: c.upstreamErrors.Load(), Blocked: c.blocked.Load(),
		RequestViolations: c.reqViolations.Load(), ResponseViolations: c.respViolations.Load()}
}

// serveReport answers ReportPath: JSON, or the HTML page for ?format=html
// or a browser (Accept: text/html). With ?flush=1 it first waits (up to
// FlushTimeout) for the exchanges forwarded so far to be judged, so a
// script that has sent its traffic reads a complete report.
func (p *Proxy) serveReport(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if f := r.URL.Query().Get("flush"); f != "" && f != "0" && f != "false" {
		ctx, cancel := context.WithTimeout(r.Context(), FlushTimeout)
		err := p.Flush(ctx)
		cancel()
		if err != nil {
			http.Error(w, "proxy: validators still busy: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	snap := p.Snapshot()
	format := r.URL.Query().Get("format")
	if format == "html" || (format == "" && strings.Contains(r.Header.Get("Accept"), "text/html")) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := p.page.Execute(w, pageData(snap)); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(snap)
}
