package suites

import (
	"fmt"
	"time"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/presencekit/presencekit/client"
)

func describeSubscribe(e *Env) {
	g.Describe("Batch subscribe", func() {
		g.DescribeTable("limits usernames per call", refusals("SUB-LIMIT-USERS"),
			func(ctx g.SpecContext, over int, accepted bool) {
				sub := e.User("sub")
				targets := e.Users("t", e.Limits.SubscribeMaxUsers+over)
				if accepted {
					_, err := subscribe(ctx, e, "SUB-LIMIT-USERS", sub, 60, targets)
					Expect(err).To(Succeed())
					return
				}
				cleanupAfter(e, sub, targets) // in case the server wrongly accepts them
				_, r, err := e.Client.Subscribe(ctx, sub, 60, targets)
				Expect(e.Rejected(ctx, "SUB-LIMIT-USERS", r, err, 400, "illegal_argument")).To(Succeed())
			},
			g.Entry("the maximum is accepted", 0, true),
			g.Entry("one more is refused", 1, false),
		)

		g.DescribeTable("refuses an empty or missing usernames array", refusals("SUB-USERS-NONEMPTY"),
			func(ctx g.SpecContext, body string) {
				r, err := e.Client.Do(ctx, "POST", "/users/"+e.User("sub")+"/presence/60", nil, []byte(body), nil)
				Expect(e.Rejected(ctx, "SUB-USERS-NONEMPTY", r, err, 400, "illegal_argument")).To(Succeed())
			},
			g.Entry("empty array", `{"usernames":[]}`),
			g.Entry("missing", `{}`),
		)

		g.DescribeTable("limits expiry to 30 days", refusals("SUB-EXPIRY-MAX"),
			func(ctx g.SpecContext, over int64, accepted bool) {
				sub := e.User("sub")
				t := []string{e.User("t")}
				if accepted {
					_, err := subscribe(ctx, e, "SUB-EXPIRY-MAX", sub, e.Limits.ExpiryMax+over, t)
					Expect(err).To(Succeed())
					return
				}
				cleanupAfter(e, sub, t)
				_, r, err := e.Client.Subscribe(ctx, sub, e.Limits.ExpiryMax+over, t)
				Expect(e.Rejected(ctx, "SUB-EXPIRY-MAX", r, err, 400, "illegal_argument")).To(Succeed())
			},
			g.Entry("the maximum is accepted", int64(0), true),
			g.Entry("one second more is refused", int64(1), false),
		)

		g.DescribeTable("refuses an expiry that is not a positive integer", refusals("SUB-EXPIRY-POSITIVE"),
			func(ctx g.SpecContext, expiry func() string) {
				sub, t := e.User("sub"), e.User("t")
				cleanupAfter(e, sub, []string{t})
				_, r, err := e.Client.SubscribeRaw(ctx, sub, expiry(), []string{t})
				Expect(e.Rejected(ctx, "SUB-EXPIRY-POSITIVE", r, err, 400, "illegal_argument")).To(Succeed())
			},
			g.Entry("below the minimum", func() string { return itoa(e.Limits.ExpiryMin - 1) }),
			g.Entry("negative", func() string { return "-60" }),
			g.Entry("fractional", func() string { return "1.5" }),
			g.Entry("not a number", func() string { return "soon" }),
		)

		g.It("answers one entry per requested user, in order, with its uid", rules("SUB-ENTRY-PER-USER"), func(ctx g.SpecContext) {
			targets, ok := e.Known("t", 3)
			if !ok {
				g.Skip(fmt.Sprintf("needs 3 known users; --test-users lists %d", len(e.Cfg.Users)))
			}
			sub := e.User("sub")
			cleanupAfter(e, sub, targets)
			res, r, err := e.Client.Subscribe(ctx, sub, 600, targets)
			Expect(e.OK(ctx, "SUB-ENTRY-PER-USER", r, err)).To(Succeed())
			uids := make([]string, len(res.Result))
			for i, p := range res.Result {
				uids[i] = p.UID
			}
			Expect(uids).To(Equal(targets), "[SUB-ENTRY-PER-USER] uids of the answer, in order")
		})

		g.It("answers the expiry as absolute unix seconds", rules("SUB-EXPIRY-ABSOLUTE"), func(ctx g.SpecContext) {
			const expiry = 1000
			now, err := e.Now(ctx)
			Expect(err).To(Succeed())
			t := e.User("t")
			got, err := subscribe(ctx, e, "SUB-EXPIRY-ABSOLUTE", e.User("sub"), expiry, []string{t})
			Expect(err).To(Succeed())
			Expect(got).To(HaveKey(t), "[SUB-EXPIRY-ABSOLUTE] no entry for the subscribed user")
			Expect(e.NearUnix("SUB-EXPIRY-ABSOLUTE", "expiry", got[t].Expiry.Value, now.Add(expiry*time.Second))).To(Succeed())
		})

		g.It("lists a subscription with the answered expiry", rules("SUB-LISTED"), func(ctx g.SpecContext) {
			sub := e.User("sub")
			targets := e.Users("t", 2)
			got, err := subscribe(ctx, e, "SUB-LISTED", sub, 900, targets)
			Expect(err).To(Succeed())
			listed, err := listAll(ctx, e, "SUB-LISTED", sub, len(targets))
			Expect(err).To(Succeed())
			for _, t := range targets {
				Expect(listed).To(HaveKey(t), "[SUB-LISTED] subscribed user missing from the sublist")
				if p, ok := got[t]; ok {
					Expect(listed[t]).To(BeNumerically("~", p.Expiry.Value, 1), "[SUB-LISTED] sublist expiry of "+t)
				}
			}
		})

		expiresLabels := rules("SUB-EXPIRES")
		if !e.Virtual() {
			expiresLabels = append(expiresLabels, LabelSlow) // it waits on the real clock
		}
		g.It("forgets a subscription once it expires", expiresLabels, g.Serial, func(ctx g.SpecContext) {
			sub := e.User("sub")
			short, long := e.User("short"), e.User("long")
			shortExpiry := max(e.Limits.ExpiryMin, 2)
			_, err := subscribe(ctx, e, "SUB-EXPIRES", sub, shortExpiry, []string{short})
			Expect(err).To(Succeed())
			_, err = subscribe(ctx, e, "SUB-EXPIRES", sub, 3600, []string{long})
			Expect(err).To(Succeed())
			before, err := page(ctx, e, "SUB-EXPIRES", sub, client.Page(1, 10))
			Expect(err).To(Succeed())
			gone := func() (bool, error) {
				p, err := page(ctx, e, "SUB-EXPIRES", sub, client.Page(1, 10))
				if err != nil {
					return false, err
				}
				listed := map[string]bool{}
				for _, s := range p.Sublist {
					listed[s.UID] = true
				}
				if !listed[long] {
					return false, fail("SUB-EXPIRES", "the unexpired subscription is missing too")
				}
				return !listed[short] && p.TotalNum.Value == before.TotalNum.Value-1, nil
			}
			if e.Virtual() {
				Expect(plainErr(e.Advance(ctx, time.Duration(shortExpiry+1)*time.Second+e.Cfg.ClockSkew))).To(Succeed())
				Expect(gone()).To(BeTrue(), "[SUB-EXPIRES] an expired subscription is still listed or counted")
				return
			}
			Eventually(gone).WithContext(ctx).WithTimeout(time.Duration(shortExpiry)*time.Second+e.Cfg.ClockSkew+5*time.Second).
				WithPolling(250*time.Millisecond).Should(BeTrue(), "[SUB-EXPIRES] an expired subscription is still listed or counted")
		})

		g.It("replaces the expiry when subscribing again", rules("SUB-RESUBSCRIBE"), func(ctx g.SpecContext) {
			sub, t := e.User("sub"), e.User("t")
			first, err := subscribe(ctx, e, "SUB-RESUBSCRIBE", sub, 1000, []string{t})
			Expect(err).To(Succeed())
			_, err = subscribe(ctx, e, "SUB-RESUBSCRIBE", sub, 5000, []string{t})
			Expect(err).To(Succeed())
			p, err := page(ctx, e, "SUB-RESUBSCRIBE", sub, client.Page(1, 10))
			Expect(err).To(Succeed())
			Expect(p.Sublist).To(HaveLen(1), "[SUB-RESUBSCRIBE] one subscription after subscribing twice")
			Expect(p.Sublist[0].Expiry.Value).To(BeNumerically(">", first[t].Expiry.Value+2000), "[SUB-RESUBSCRIBE] the second expiry replaces the first")
		})

		g.It("refuses subscribing to oneself with 400", refusals("SUB-SELF"), func(ctx g.SpecContext) {
			sub := e.User("sub")
			cleanupAfter(e, sub, []string{sub})
			_, r, err := e.Client.Subscribe(ctx, sub, 60, []string{sub})
			Expect(e.Rejected(ctx, "SUB-SELF", r, err, 400, "illegal_argument")).To(Succeed())
		})

		g.It("caps a subscriber's subscriptions and evicts the one with least time left", rules("SUB-CAP"), func(ctx g.SpecContext) {
			if len(e.Cfg.Users) > 0 {
				g.Skip(fmt.Sprintf("needs --max-subscriptions+1 (%d) known users; --test-users lists %d", e.Cfg.MaxSubs+1, len(e.Cfg.Users)))
			}
			sub := e.User("cap")
			batch := e.Limits.SubscribeMaxUsers
			soonest := e.User("soonest")
			_, err := subscribe(ctx, e, "SUB-CAP", sub, 600, []string{soonest})
			Expect(err).To(Succeed())
			// The batches fill the subscriber up to the cap, in any order:
			// sent side by side (fanOut), still paced.
			var batches [][]string
			for made := 1; made < e.Cfg.MaxSubs; made += batch {
				batches = append(batches, e.Users("c", min(batch, e.Cfg.MaxSubs-made)))
				cleanupAfter(e, sub, batches[len(batches)-1])
			}
			Expect(fanOut(len(batches), func(i int) error {
				_, r, err := e.Client.Subscribe(ctx, sub, 7200, batches[i])
				return e.OK(ctx, "SUB-CAP", r, err)
			})).To(Succeed())
			newest := e.User("newest")
			_, err = subscribe(ctx, e, "SUB-CAP", sub, 7200, []string{newest})
			Expect(err).To(Succeed())
			listed, err := listAll(ctx, e, "SUB-CAP", sub, e.Cfg.MaxSubs)
			Expect(err).To(Succeed())
			Expect(listed).To(HaveLen(e.Cfg.MaxSubs), "[SUB-CAP] subscriptions listed after one more than the cap")
			Expect(listed).NotTo(HaveKey(soonest), "[SUB-CAP] the subscription with least time left must be evicted")
			Expect(listed).To(HaveKey(newest), "[SUB-CAP] the newest subscription must be kept")
		})
	})
}
