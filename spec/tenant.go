package spec

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Tenant is the leading part every path template of the document shares,
// the segments that name the tenant: "/{org_name}/{app_name}" on Easemob and
// Agora Chat, "/app-id/{app_id}" on Shengwang. It lives in the paths (not
// the server URL) so that tools such as Prism route the document unmodified
// (docs/contract.md#d13); clients, the mock and the load generator build
// and read the prefix from it rather than assuming its shape.
type Tenant struct {
	// Segments are the template's segments; "{x}" marks a parameter.
	Segments []string
}

// Template is the prefix as written in the paths, e.g. "/{org_name}/{app_name}".
func (t Tenant) Template() string { return "/" + strings.Join(t.Segments, "/") }

// tenantValue is what fills a tenant parameter: org_name takes the org,
// every other parameter (app_name, app_id) the app.
func tenantValue(param, org, app string) string {
	if param == "org_name" {
		return org
	}
	return app
}

// Path is the escaped prefix for org and app, e.g. "/acme/chat" or
// "/app-id/chat".
func (t Tenant) Path(org, app string) string {
	var b strings.Builder
	for _, s := range t.Segments {
		b.WriteByte('/')
		if isParam(s) {
			b.WriteString(url.PathEscape(tenantValue(s[1:len(s)-1], org, app)))
			continue
		}
		b.WriteString(s)
	}
	return b.String()
}

// Match reads org and app from the leading decoded segments of a request
// path; ok is false when a literal segment differs, a parameter is empty,
// or there are too few segments. A template without org_name gives org "".
func (t Tenant) Match(segs []string) (org, app string, ok bool) {
	if len(segs) < len(t.Segments) {
		return "", "", false
	}
	for i, s := range t.Segments {
		v := segs[i]
		switch {
		case !isParam(s):
			if v != s {
				return "", "", false
			}
		case v == "":
			return "", "", false
		case s == "{org_name}":
			org = v
		default:
			app = v
		}
	}
	return org, app, true
}

// HasOrg says whether the tenant prefix names an organisation, so callers
// know whether an org setting means anything.
func (t Tenant) HasOrg() bool {
	for _, s := range t.Segments {
		if s == "{org_name}" {
			return true
		}
	}
	return false
}

// DefaultTenant is the Easemob prefix, the one of the base document.
func DefaultTenant() Tenant { return Tenant{Segments: []string{"{org_name}", "{app_name}"}} }

// Tenant returns the prefix every path of the document shares, up to the
// last parameter in that shared part; a document whose paths share none has
// an empty Tenant (Lint reports it).
func (d *Doc) Tenant() Tenant {
	return Tenant{Segments: append([]string(nil), d.tenant...)}
}

// readTenant computes the shared prefix of the routes' templates, cut after
// its last parameter so a literal every path happens to share is not
// mistaken for part of the tenant.
func (d *Doc) readTenant() []string {
	if len(d.routes) == 0 {
		return nil
	}
	common := d.routes[0].segs
	for _, r := range d.routes[1:] {
		n := 0
		for n < len(common) && n < len(r.segs)-1 && common[n] == r.segs[n] {
			n++
		}
		common = common[:n]
	}
	last := -1
	for i, s := range common {
		if isParam(s) {
			last = i
		}
	}
	return append([]string(nil), common[:last+1]...)
}

// tenant checks that every path starts with the same tenant prefix holding
// a parameter, and that no server URL carries a path of its own: a tenant
// in the server URL is what made Prism answer "Selected route not found"
// for every request.
func (l *linter) tenant() {
	if len(l.d.tenant) == 0 {
		l.add(CheckTenant, []string{"paths"}, "the paths share no tenant prefix such as /{org_name}/{app_name}: put it in every path")
	}
	for i, s := range l.d.T.Servers {
		if s == nil {
			continue
		}
		u := s.URL
		if j := strings.Index(u, "://"); j >= 0 {
			u = u[j+3:]
		}
		if j := strings.IndexByte(u, '/'); j >= 0 && strings.Trim(u[j:], "/") != "" {
			l.add(CheckTenant, []string{"servers", strconv.Itoa(i), "url"},
				fmt.Sprintf("server URL %q has a path: keep scheme, host and port there and the tenant prefix in the paths", s.URL))
		}
	}
}
