package suites

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/presencekit/presencekit/client"
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
			g.Entry("set status: after a backslash", setPath, `{"ext":"a\`),
			g.Entry("set status: after an escape", setPath, `{"ext":"a\n`),
			g.Entry("set status: inside a \\u escape", setPath, `{"ext":"\u12`),
			// A high surrogate makes a scanner look ahead for its low half:
			// cut right after it, and after the backslash that may start it.
			g.Entry("set status: after a high surrogate", setPath, `{"ext":"\ud83d`),
			g.Entry("set status: after a high surrogate and a backslash", setPath, `{"ext":"\ud83d\`),
			g.Entry("set status: inside a literal", setPath, `{"ext":nul`),
			g.Entry("batch get: inside a literal", getPath, `{"usernames":tru`),
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

		g.It("reads \\u escapes in ext, surrogate pairs included", rules(spec.RuleSetExtVisible), func(ctx g.SpecContext) {
			// The first and last pairs of the surrogate ranges, and the
			// first code point after them.
			u := e.User("set")
			body := `{"ext":"\ud800\udc00 \udbff\udfff \ud83d\ude00 \ue000 \u00e9"}`
			r, err := e.Client.Do(ctx, http.MethodPost, "/users/"+u+"/presence/web_1/away", nil, []byte(body), nil)
			e.must(e.OK(ctx, spec.RuleSetExtVisible, r, err))
			p, err := presenceOf(ctx, e, spec.RuleSetExtVisible, u)
			e.must(err)
			e.about(spec.RuleSetExtVisible).Expect(p.Ext).To(Equal("\U00010000 \U0010FFFF \U0001F600 \uE000 é"), "ext read back through batch get")
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

		shortenLabels := rules(spec.RuleSubExpires, spec.RuleSubResubscribe)
		if !e.Virtual() {
			shortenLabels = append(shortenLabels, LabelSlow) // it waits on the real clock
		}
		g.It("forgets a subscription renewed with a shorter expiry once that expires", shortenLabels, g.Serial, func(ctx g.SpecContext) {
			// SUB-RESUBSCRIBE replaces the expiry; the spec of that rule
			// renews with a longer one. Renewed shorter, the new expiry
			// must be the one that ends the subscription.
			if e.ClockStopped() {
				g.Skip(clockStopped)
			}
			sub, t, keep := e.User("sub"), e.User("t"), e.User("keep")
			shortExpiry := max(e.Limits.ExpiryMin, 2)
			first, err := subscribe(ctx, e, spec.RuleSubExpires, sub, 3600, []string{t, keep})
			e.must(err)
			second, err := subscribe(ctx, e, spec.RuleSubExpires, sub, shortExpiry, []string{t})
			e.must(err)
			entries := func(p *client.Sublist) (n int, kept bool) {
				for _, s := range p.Sublist {
					if s.UID == t {
						n++
					}
					kept = kept || s.UID == keep
				}
				return n, kept
			}
			p, err := page(ctx, e, spec.RuleSubResubscribe, sub, client.Page(1, 10))
			e.must(err)
			if n, _ := entries(p); n != 1 {
				e.must(fail(spec.RuleSubResubscribe, "%d sublist entries for %s after subscribing to it twice, want 1", n, t))
			}
			// listedExpiry is t's listed expiry, or ok false once t is gone.
			listedExpiry := func() (expiry int64, ok bool, err error) {
				p, err := page(ctx, e, spec.RuleSubExpires, sub, client.Page(1, 10))
				if err != nil {
					return 0, false, err
				}
				if _, kept := entries(p); !kept {
					return 0, false, fail(spec.RuleSubExpires, "the unexpired subscription is missing too")
				}
				for _, s := range p.Sublist {
					if s.UID == t {
						return s.Expiry.Value, true, nil
					}
				}
				return 0, false, nil
			}
			gone := func() (bool, error) {
				_, ok, err := listedExpiry()
				return !ok, err
			}
			if e.Virtual() {
				e.must(plainErr(e.Advance(ctx, time.Duration(shortExpiry+1)*time.Second+e.Cfg.ClockSkew)))
			} else {
				// Waited on without failing: which rule is broken is
				// decided below, from what is still listed.
				_ = InterceptGomegaFailure(func() {
					Eventually(gone).WithContext(ctx).WithTimeout(time.Duration(shortExpiry)*time.Second + e.Cfg.ClockSkew + 5*time.Second).
						WithPolling(250 * time.Millisecond).Should(BeTrue())
				})
			}
			listed, still, err := listedExpiry()
			e.must(err)
			if !still {
				return
			}
			// Still listed: with the first expiry, the renewal did not
			// replace it (SUB-RESUBSCRIBE); with the renewal's, the server
			// keeps what has expired (SUB-EXPIRES).
			a, b := first[t].Expiry.Value, second[t].Expiry.Value
			if absDiff(listed, b) >= absDiff(listed, a) {
				e.must(fail(spec.RuleSubResubscribe, "listed expiry %d past the renewal's shorter expiry (%d): the renewal kept the first (%d)", listed, b, a))
			}
			e.must(fail(spec.RuleSubExpires, "a subscription renewed with a shorter expiry is still listed past it (listed expiry %d)", listed))
		})

		g.It("removes every subscription after the cap evicted one", rules(spec.RuleUnsubRemoves, spec.RuleSubCap), func(ctx g.SpecContext) {
			// SUB-CAP's spec checks who is evicted; this one checks the
			// subscriber's set is still whole after the eviction: each
			// subscription it holds can be removed, the newest included.
			if len(e.Cfg.Users) > 0 {
				g.Skip(fmt.Sprintf("needs --max-subscriptions+1 (%d) known users; --test-users lists %d", e.Cfg.MaxSubs+1, len(e.Cfg.Users)))
			}
			// Two evictions, each where a server keeping the set in name
			// order must get a position right. First the evicted one's
			// name sorts first of those held ("b-" before "c-") and the
			// newest's just before it ("a-"): removal and insertion meet
			// at one position. Then the next evicted sorts last ("y-") and
			// the newest after it ("z-"): the insertion point moves down
			// by the one removed before it.
			sub := e.User("cap")
			soonest, later := e.User("b-soonest"), e.User("y-later")
			_, err := subscribe(ctx, e, spec.RuleUnsubRemoves, sub, 600, []string{soonest})
			e.must(err)
			_, err = subscribe(ctx, e, spec.RuleUnsubRemoves, sub, 900, []string{later})
			e.must(err)
			all := []string{soonest, later}
			var batches [][]string
			for made := len(all); made < e.Cfg.MaxSubs; made += e.Limits.SubscribeMaxUsers {
				batches = append(batches, e.Users("c", min(e.Limits.SubscribeMaxUsers, e.Cfg.MaxSubs-made)))
				cleanupAfter(e, sub, batches[len(batches)-1])
				all = append(all, batches[len(batches)-1]...)
			}
			e.must(fanOut(len(batches), func(i int) error {
				_, r, err := e.Client.Subscribe(ctx, sub, 7200, batches[i])
				return e.OK(ctx, spec.RuleUnsubRemoves, r, err)
			}))
			for _, role := range []string{"a-newest", "z-newest"} {
				newest := e.User(role)
				_, err = subscribe(ctx, e, spec.RuleUnsubRemoves, sub, 7200, []string{newest})
				e.must(err)
				all = append(all, newest)
			}
			var gone [][]string
			for len(all) > 0 {
				n := min(len(all), e.Limits.UnsubscribeMaxUsers)
				gone, all = append(gone, all[:n]), all[n:]
			}
			e.must(fanOut(len(gone), func(i int) error {
				_, r, err := e.Client.Unsubscribe(ctx, sub, gone[i], client.UnsubscribeObject)
				return e.OK(ctx, spec.RuleUnsubRemoves, r, err)
			}))
			p, err := page(ctx, e, spec.RuleUnsubRemoves, sub, client.Page(1, 10))
			e.must(err)
			e.about(spec.RuleUnsubRemoves).Expect(uids(p.Sublist)).To(BeEmpty(), "every subscription was removed, yet some are listed")
		})

		g.It("forgets subscriptions one by one as each expires", shortenLabels, g.Serial, func(ctx g.SpecContext) {
			// SUB-EXPIRES' spec lets one subscription expire; here a second
			// expires after the first is gone, so a server that loses
			// track of the next expiry once it dropped one keeps it.
			if e.ClockStopped() {
				g.Skip(clockStopped)
			}
			sub, first, second, long := e.User("sub"), e.User("first"), e.User("second"), e.User("long")
			s1 := max(e.Limits.ExpiryMin, 2)
			s2 := s1 + int64(e.Cfg.ClockSkew/time.Second) + 5
			for _, x := range []struct {
				t      string
				expiry int64
			}{{first, s1}, {second, s2}, {long, 3600}} {
				_, err := subscribe(ctx, e, spec.RuleSubExpires, sub, x.expiry, []string{x.t})
				e.must(err)
			}
			gone := func(t string) func() (bool, error) {
				return func() (bool, error) {
					p, err := page(ctx, e, spec.RuleSubExpires, sub, client.Page(1, 10))
					if err != nil {
						return false, err
					}
					listed := uids(p.Sublist)
					if !slices.Contains(listed, long) {
						return false, fail(spec.RuleSubExpires, "the unexpired subscription is missing too")
					}
					return !slices.Contains(listed, t), nil
				}
			}
			if e.Virtual() {
				e.must(plainErr(e.Advance(ctx, time.Duration(s1+1)*time.Second+e.Cfg.ClockSkew)))
				e.about(spec.RuleSubExpires).Expect(gone(first)()).To(BeTrue(), "the first expired subscription is still listed")
				e.must(plainErr(e.Advance(ctx, time.Duration(s2-s1)*time.Second)))
				e.about(spec.RuleSubExpires).Expect(gone(second)()).To(BeTrue(), "the second expired subscription is still listed")
				return
			}
			for _, x := range []struct {
				t      string
				expiry int64
			}{{first, s1}, {second, s2}} {
				e.about(spec.RuleSubExpires).Eventually(gone(x.t)).WithContext(ctx).WithTimeout(time.Duration(x.expiry)*time.Second+e.Cfg.ClockSkew+5*time.Second).
					WithPolling(250*time.Millisecond).Should(BeTrue(), "an expired subscription is still listed")
			}
		})

		g.It("accepts the smallest expiry", rules(spec.RuleSubExpiryPositive), func(ctx g.SpecContext) {
			_, err := subscribe(ctx, e, spec.RuleSubExpiryPositive, e.User("sub"), max(e.Limits.ExpiryMin, 1), []string{e.User("t")})
			e.must(err)
		})
	})
}
