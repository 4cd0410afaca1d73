package suites

import (
	"fmt"
	"time"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/presencekit/presencekit/checks"
	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

func describeSubscribe(e *Env) {
	g.Describe("Batch subscribe", func() {
		g.DescribeTable("limits usernames per call", refusals(spec.RuleSubLimitUsers),
			func(ctx g.SpecContext, over int, accepted bool, repeat bool) {
				sub := e.User("sub")
				targets := e.Users("t", e.Limits.SubscribeMaxUsers+over)
				if repeat { // the last name repeats the first: still one too many
					targets[len(targets)-1] = targets[0]
				}
				if accepted {
					_, err := subscribe(ctx, e, spec.RuleSubLimitUsers, sub, 60, targets)
					e.must(err)
					return
				}
				cleanupAfter(e, sub, targets) // in case the server wrongly accepts them
				_, r, err := e.Client.Subscribe(ctx, sub, 60, targets)
				e.must(e.Rejected(ctx, spec.RuleSubLimitUsers, r, err, 400, "illegal_argument"))
			},
			g.Entry("the maximum is accepted", 0, true, false),
			g.Entry("one more is refused", 1, false, false),
			g.Entry("one more, a name repeated, is refused", 1, false, true),
		)

		g.DescribeTable("refuses an empty or missing usernames array", refusals(spec.RuleSubUsersNonempty),
			func(ctx g.SpecContext, body, code string) {
				r, err := e.Client.Do(ctx, "POST", "/users/"+e.User("sub")+"/presence/60", nil, []byte(body), nil)
				e.must(e.Rejected(ctx, spec.RuleSubUsersNonempty, r, err, 400, code))
			},
			g.Entry("empty array", `{"usernames":[]}`, "illegal_argument"),
			g.Entry("missing", `{}`, "illegal_argument"),
			// A server may call null a parse error: the code is not demanded.
			g.Entry("null", `{"usernames":null}`, ""),
		)

		g.DescribeTable("limits expiry to 30 days", refusals(spec.RuleSubExpiryMax),
			func(ctx g.SpecContext, over int64, accepted bool) {
				sub := e.User("sub")
				t := []string{e.User("t")}
				if accepted {
					_, err := subscribe(ctx, e, spec.RuleSubExpiryMax, sub, e.Limits.ExpiryMax+over, t)
					e.must(err)
					return
				}
				cleanupAfter(e, sub, t)
				_, r, err := e.Client.Subscribe(ctx, sub, e.Limits.ExpiryMax+over, t)
				e.must(e.Rejected(ctx, spec.RuleSubExpiryMax, r, err, 400, "illegal_argument"))
			},
			g.Entry("the maximum is accepted", int64(0), true),
			g.Entry("one second more is refused", int64(1), false),
			// 2^32+60: 60 to a server that checks 32 bits of it.
			g.Entry("2^32 + 60 seconds is refused", int64(1<<32+60)-e.Limits.ExpiryMax, false),
		)

		g.DescribeTable("refuses an expiry that is not a positive integer", refusals(spec.RuleSubExpiryPositive),
			func(ctx g.SpecContext, expiry func() string) {
				sub, t := e.User("sub"), e.User("t")
				cleanupAfter(e, sub, []string{t})
				_, r, err := e.Client.SubscribeRaw(ctx, sub, expiry(), []string{t})
				e.must(e.Rejected(ctx, spec.RuleSubExpiryPositive, r, err, 400, "illegal_argument"))
			},
			g.Entry("below the minimum", func() string { return itoa(e.Limits.ExpiryMin - 1) }),
			g.Entry("negative", func() string { return "-60" }),
			g.Entry("fractional", func() string { return "1.5" }),
			g.Entry("not a number", func() string { return "soon" }),
			// Number forms that are no integer literal, though their value is
			// a whole number.
			g.Entry("an exponent form", func() string { return "1e2" }),
			g.Entry("a decimal form", func() string { return "60.0" }),
		)

		g.It("answers one entry per requested user, in order, with its uid", rules(spec.RuleSubEntryPerUser), func(ctx g.SpecContext) {
			targets, ok := e.Known("t", 3)
			if !ok {
				g.Skip(fmt.Sprintf("needs 3 known users; --test-users lists %d", len(e.Cfg.Users)))
			}
			// Out of name order: an answer sorted by name is not in request
			// order.
			targets = []string{targets[2], targets[0], targets[1]}
			sub := e.User("sub")
			cleanupAfter(e, sub, targets)
			res, r, err := e.Client.Subscribe(ctx, sub, 600, targets)
			e.must(e.OK(ctx, spec.RuleSubEntryPerUser, r, err))
			uids := make([]string, len(res.Result))
			for i, p := range res.Result {
				uids[i] = p.UID
			}
			if i, why := checks.EntryPerUser(uids, targets); i >= 0 {
				e.must(fail(spec.RuleSubEntryPerUser, "uids of the answer %q, requested %q: %s", uids, targets, why))
			}
		})

		g.It("answers the expiry as absolute unix seconds", rules(spec.RuleSubExpiryAbsolute), func(ctx g.SpecContext) {
			const expiry = 1000
			now, err := e.Now(ctx)
			e.must(err)
			t := e.User("t")
			got, err := subscribe(ctx, e, spec.RuleSubExpiryAbsolute, e.User("sub"), expiry, []string{t})
			e.must(err)
			e.about(spec.RuleSubExpiryAbsolute).Expect(got).To(HaveKey(t), "no entry for the subscribed user")
			e.must(e.NearUnix(spec.RuleSubExpiryAbsolute, "expiry", got[t].Expiry.Value, now.Add(expiry*time.Second)))
		})

		g.It("lists a subscription with the answered expiry", rules(spec.RuleSubListed), func(ctx g.SpecContext) {
			sub := e.User("sub")
			targets := e.Users("t", 3)
			// Different expiries, so each listed one must be its own.
			got, err := subscribe(ctx, e, spec.RuleSubListed, sub, 900, targets[:2])
			e.must(err)
			later, err := subscribe(ctx, e, spec.RuleSubListed, sub, 1800, targets[2:])
			e.must(err)
			got[targets[2]] = later[targets[2]]
			listed, err := listAll(ctx, e, spec.RuleSubListed, sub, len(targets))
			e.must(err)
			for _, t := range targets {
				e.about(spec.RuleSubListed).Expect(listed).To(HaveKey(t), "subscribed user missing from the sublist")
				if p, ok := got[t]; ok {
					e.about(spec.RuleSubListed).Expect(listed[t]).To(BeNumerically("~", p.Expiry.Value, 1), "sublist expiry of "+t)
				}
			}
		})

		expiresLabels := rules(spec.RuleSubExpires)
		if !e.Virtual() {
			expiresLabels = append(expiresLabels, LabelSlow) // it waits on the real clock
		}
		g.It("forgets a subscription once it expires", expiresLabels, g.Serial, func(ctx g.SpecContext) {
			if e.ClockStopped() {
				g.Skip(clockStopped)
			}
			sub := e.User("sub")
			short, long := e.User("short"), e.User("long")
			shortExpiry := max(e.Limits.ExpiryMin, 2)
			_, err := subscribe(ctx, e, spec.RuleSubExpires, sub, shortExpiry, []string{short})
			e.must(err)
			_, err = subscribe(ctx, e, spec.RuleSubExpires, sub, 3600, []string{long})
			e.must(err)
			before, err := page(ctx, e, spec.RuleSubExpires, sub, client.Page(1, 10))
			e.must(err)
			gone := func() (bool, error) {
				p, err := page(ctx, e, spec.RuleSubExpires, sub, client.Page(1, 10))
				if err != nil {
					return false, err
				}
				listed := map[string]bool{}
				for _, s := range p.Sublist {
					listed[s.UID] = true
				}
				if !listed[long] {
					return false, fail(spec.RuleSubExpires, "the unexpired subscription is missing too")
				}
				return !listed[short] && p.TotalNum.Value == before.TotalNum.Value-1, nil
			}
			if e.Virtual() {
				e.must(plainErr(e.Advance(ctx, time.Duration(shortExpiry+1)*time.Second+e.Cfg.ClockSkew)))
				e.about(spec.RuleSubExpires).Expect(gone()).To(BeTrue(), "an expired subscription is still listed or counted")
				return
			}
			e.about(spec.RuleSubExpires).Eventually(gone).WithContext(ctx).WithTimeout(time.Duration(shortExpiry)*time.Second+e.Cfg.ClockSkew+5*time.Second).
				WithPolling(250*time.Millisecond).Should(BeTrue(), "an expired subscription is still listed or counted")
		})

		g.It("replaces the expiry when subscribing again", rules(spec.RuleSubResubscribe), func(ctx g.SpecContext) {
			// The second expiry is the shorter: a server keeping the later
			// of the two (or the first) keeps the first here.
			sub, t := e.User("sub"), e.User("t")
			first, err := subscribe(ctx, e, spec.RuleSubResubscribe, sub, 5000, []string{t})
			e.must(err)
			second, err := subscribe(ctx, e, spec.RuleSubResubscribe, sub, 1000, []string{t})
			e.must(err)
			p, err := page(ctx, e, spec.RuleSubResubscribe, sub, client.Page(1, 10))
			e.must(err)
			e.about(spec.RuleSubResubscribe).Expect(p.Sublist).To(HaveLen(1), "one subscription after subscribing twice")
			// Nearer the second answer than the first, whatever form the
			// sublist shows expiries in (SUB-LISTED's business).
			listed, a, b := p.Sublist[0].Expiry.Value, first[t].Expiry.Value, second[t].Expiry.Value
			e.about(spec.RuleSubResubscribe).Expect(absDiff(listed, b)).To(BeNumerically("<", absDiff(listed, a)),
				"listed expiry %d: the second expiry (%d) replaces the first (%d)", listed, b, a)
		})

		g.DescribeTable("refuses subscribing to oneself with 400", refusals(spec.RuleSubSelf),
			func(ctx g.SpecContext, among bool) {
				sub := e.User("sub")
				names := []string{sub}
				if among { // oneself between two valid names
					names = []string{e.User("t"), sub, e.User("t")}
				}
				cleanupAfter(e, sub, names)
				_, r, err := e.Client.Subscribe(ctx, sub, 60, names)
				e.must(e.Rejected(ctx, spec.RuleSubSelf, r, err, 400, "illegal_argument"))
			},
			g.Entry("alone", false),
			g.Entry("among other users", true),
		)

		g.It("caps a subscriber's subscriptions and evicts the one with least time left", rules(spec.RuleSubCap), func(ctx g.SpecContext) {
			if len(e.Cfg.Users) > 0 {
				g.Skip(fmt.Sprintf("needs --max-subscriptions+1 (%d) known users; --test-users lists %d", e.Cfg.MaxSubs+1, len(e.Cfg.Users)))
			}
			sub := e.User("cap")
			batch := e.Limits.SubscribeMaxUsers
			// The one with least time left is neither the oldest nor the
			// newest subscription, nor the first or last by name ("c-…" <
			// "m-…" < "newest-…" < "x-…"): a server evicting by any of
			// those picks another.
			soonest := e.User("m")
			var batches [][]string
			for made := 1; made < e.Cfg.MaxSubs; made += batch {
				role := "x"
				if len(batches) == 0 {
					role = "c"
				}
				batches = append(batches, e.Users(role, min(batch, e.Cfg.MaxSubs-made)))
				cleanupAfter(e, sub, batches[len(batches)-1])
			}
			fill := func(batches [][]string) error {
				// Sent side by side (fanOut), still paced.
				return fanOut(len(batches), func(i int) error {
					_, r, err := e.Client.Subscribe(ctx, sub, 7200, batches[i])
					return e.OK(ctx, spec.RuleSubCap, r, err)
				})
			}
			e.must(fill(batches[:1]))
			_, err := subscribe(ctx, e, spec.RuleSubCap, sub, 600, []string{soonest})
			e.must(err)
			e.must(fill(batches[1:]))
			newest := e.User("newest")
			_, err = subscribe(ctx, e, spec.RuleSubCap, sub, 7200, []string{newest})
			e.must(err)
			listed, err := listAll(ctx, e, spec.RuleSubCap, sub, e.Cfg.MaxSubs)
			e.must(err)
			e.about(spec.RuleSubCap).Expect(listed).To(HaveLen(e.Cfg.MaxSubs), "subscriptions listed after one more than the cap")
			e.about(spec.RuleSubCap).Expect(listed).NotTo(HaveKey(soonest), "the subscription with least time left must be evicted")
			e.about(spec.RuleSubCap).Expect(listed).To(HaveKey(newest), "the newest subscription must be kept")
		})
	})
}

// absDiff is |a-b|.
func absDiff(a, b int64) int64 {
	if a > b {
		return a - b
	}
	return b - a
}
