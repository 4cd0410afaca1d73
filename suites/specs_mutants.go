package suites

import (
	"net/http"
	"strings"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/presencekit/presencekit/spec"
)

// describeMutantGaps declares the specs that close the gaps the mutation
// analysis found (make mutation, docs/conformance.md#mutation-analysis):
// each is a way the mock could be wrong that no other spec noticed. Like
// every spec they are labelled with their rule and assume only what the
// vendor's documents and docs/contract.md say.
func describeMutantGaps(e *Env) {
	const getPath, setPath = "/users/{u}/presence", "/users/{u}/presence/web_1/1"
	g.Describe("Edges found by mutation analysis", func() {
		g.DescribeTable("refuses a valid token sent under another scheme than Bearer", rules(spec.RuleAuthInvalidToken, spec.RuleErrEnvelope),
			func(ctx g.SpecContext, scheme string) {
				// The token the suite authenticates with, taken from a
				// request that was accepted: only the scheme differs.
				r, err := presenceCalls()[spec.OpSublist](ctx, e)
				e.must(e.OK(ctx, spec.RuleAuthInvalidToken, r, err))
				tok, ok := strings.CutPrefix(r.Request.Header.Get("Authorization"), "Bearer ")
				if !ok || tok == "" {
					g.Skip("the accepted request carried no bearer token")
				}
				h := http.Header{"Authorization": {scheme + " " + tok}}
				r, err = e.Client.Do(ctx, http.MethodGet, "/users/"+e.User("auth")+"/presence/sublist", nil, nil, h)
				e.must(e.Rejected(ctx, spec.RuleAuthInvalidToken, r, err, http.StatusUnauthorized, ""))
			},
			// "Bearer" is a fixed word (Easemob presence §认证方式); Digest
			// is as long as Bearer, so a server that skips the word and
			// takes the rest as the token accepts it.
			g.Entry("Basic", "Basic"),
			g.Entry("Digest", "Digest"),
		)

		g.DescribeTable("refuses a body cut short or unbalanced with 400 json_parse", rules(spec.RuleErrJSONParse, spec.RuleErrEnvelope),
			func(ctx g.SpecContext, path, body string) {
				path = strings.ReplaceAll(path, "{u}", e.User("err"))
				r, err := e.Client.Do(ctx, http.MethodPost, path, nil, []byte(body), nil)
				e.must(e.Rejected(ctx, spec.RuleErrJSONParse, r, err, 400, "json_parse"))
			},
			// Cut at each point a scanner can reach the end of its input:
			// a server that reads past it must still answer 400, not fail.
			g.Entry("batch get: {", getPath, `{`),
			g.Entry("batch get: after the key", getPath, `{"usernames"`),
			g.Entry("batch get: after the colon", getPath, `{"usernames":`),
			g.Entry("batch get: after [", getPath, `{"usernames":[`),
			g.Entry("batch get: inside a name", getPath, `{"usernames":["a`),
			g.Entry("batch get: after a name", getPath, `{"usernames":["a"`),
			g.Entry("batch get: after the array", getPath, `{"usernames":["a"]`),
			g.Entry("batch get: after a comma", getPath, `{"usernames":["a"],`),
			g.Entry("batch get: array closed by }", getPath, `{"usernames":["a"}`),
			g.Entry("set status: after the key", setPath, `{"ext"`),
			g.Entry("set status: inside ext", setPath, `{"ext":"a`),
			g.Entry("set status: after ext", setPath, `{"ext":"a"`),
		)

		g.It("returns an ext holding quotes, backslashes, control and non-ASCII characters whole", rules(spec.RuleSetExtVisible), func(ctx g.SpecContext) {
			// Each character a JSON writer must escape, and multi-byte
			// UTF-8 (U+FFFD included: it is a character like any other).
			u := e.User("set")
			ext := "say \"hi\" C:\\x\t1\n2\u0001 é€\uFFFD"
			e.must(set(ctx, e, spec.RuleSetExtVisible, u, "web_1", "away", ext))
			p, err := presenceOf(ctx, e, spec.RuleSetExtVisible, u)
			e.must(err)
			e.about(spec.RuleSetExtVisible).Expect(p.Ext).To(Equal(ext), "ext read back through batch get")
		})

		g.It("reports a custom status spelled outside ASCII as it was set", rules(spec.RuleSetStatusPerResource), func(ctx g.SpecContext) {
			// The status travels escaped in the path (%E5%BF%99…): the
			// server must unescape it, even as the segment's first byte.
			u := e.User("set")
			const busy = "忙碌 busy"
			e.must(set(ctx, e, spec.RuleSetStatusPerResource, u, "web_1", busy, ""))
			p, err := presenceOf(ctx, e, spec.RuleSetStatusPerResource, u)
			e.must(err)
			e.about(spec.RuleSetStatusPerResource).Expect(p.Status).To(HaveKeyWithValue("web_1", busy), "the custom status read back through batch get")
		})

		g.It("accepts the smallest expiry", rules(spec.RuleSubExpiryPositive), func(ctx g.SpecContext) {
			_, err := subscribe(ctx, e, spec.RuleSubExpiryPositive, e.User("sub"), max(e.Limits.ExpiryMin, 1), []string{e.User("t")})
			e.must(err)
		})
	})
}
