package suites

import (
	"fmt"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/presencekit/presencekit/checks"
	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

func describeGet(e *Env) {
	g.Describe("Batch get", func() {
		g.DescribeTable("limits usernames per call", refusals(spec.RuleGetLimitUsers),
			func(ctx g.SpecContext, over int, accepted bool, repeat bool) {
				// Limit checks need a 200 and a valid body only: a server may
				// leave out users it does not know (docs/contract.md#d11).
				names := e.Users("t", e.Limits.GetMaxUsers+over)
				if repeat { // the last name repeats the first: still one too many
					names[len(names)-1] = names[0]
				}
				_, r, err := e.Client.GetPresence(ctx, e.User("get"), names)
				if accepted {
					e.must(e.OK(ctx, spec.RuleGetLimitUsers, r, err))
					return
				}
				e.must(e.Rejected(ctx, spec.RuleGetLimitUsers, r, err, 400, "illegal_argument"))
			},
			g.Entry("the maximum is accepted", 0, true, false),
			g.Entry("one more is refused", 1, false, false),
			g.Entry("one more, a name repeated, is refused", 1, false, true),
		)

		g.DescribeTable("refuses an empty or missing usernames array", refusals(spec.RuleGetUsersNonempty),
			func(ctx g.SpecContext, body, code string) {
				r, err := e.Client.Do(ctx, "POST", "/users/"+e.User("get")+"/presence", nil, []byte(body), nil)
				e.must(e.Rejected(ctx, spec.RuleGetUsersNonempty, r, err, 400, code))
			},
			g.Entry("empty array", `{"usernames":[]}`, "illegal_argument"),
			g.Entry("missing", `{}`, "illegal_argument"),
			// A server may call null a parse error: the code is not demanded.
			g.Entry("null", `{"usernames":null}`, ""),
		)

		g.It("answers one entry per requested user, in order, with its uid", rules(spec.RuleGetEntryPerUser), func(ctx g.SpecContext) {
			users, ok := e.Known("t", 3)
			if !ok {
				g.Skip(fmt.Sprintf("needs 3 known users; --test-users lists %d", len(e.Cfg.Users)))
			}
			users = []string{users[2], users[0], users[1]}
			res, r, err := e.Client.GetPresence(ctx, e.User("get"), users)
			e.must(e.OK(ctx, spec.RuleGetEntryPerUser, r, err))
			uids := make([]string, len(res.Result))
			for i, p := range res.Result {
				uids[i] = p.UID
			}
			if i := checks.InRequestOrder(uids, users); i >= 0 {
				e.must(fail(spec.RuleGetEntryPerUser, "uids of the answer %q, requested %q: entry %d is not requested, repeated or out of request order", uids, users, i))
			}
			// The users are known, so none may be left out (docs/contract.md#d11).
			e.about(spec.RuleGetEntryPerUser).Expect(uids).To(HaveLen(len(users)), "entries for %d known users", len(users))
		})

		g.It("creates no subscription", rules(spec.RuleGetNoSideEffect), func(ctx g.SpecContext) {
			reader := e.User("get")
			targets := e.Users("t", 2)
			cleanupAfter(e, reader, targets) // in case the server subscribes
			_, r, err := e.Client.GetPresence(ctx, reader, targets)
			e.must(e.OK(ctx, spec.RuleGetNoSideEffect, r, err))
			p, err := page(ctx, e, spec.RuleGetNoSideEffect, reader, client.Page(1, 10))
			e.must(err)
			e.about(spec.RuleGetNoSideEffect).Expect(p.Sublist).To(BeEmpty(), "the reader's sublist after a batch get")
			// Nor the other way round: the read users subscribe to no one.
			for _, t := range targets {
				cleanupAfter(e, t, []string{reader})
				q, err := page(ctx, e, spec.RuleGetNoSideEffect, t, client.Page(1, 10))
				e.must(err)
				e.about(spec.RuleGetNoSideEffect).Expect(q.Sublist).To(BeEmpty(), "the sublist of %s, read by a batch get", t)
			}
		})

		g.It("leaves the reader's subscriptions as they were", rules(spec.RuleGetNoSideEffect), func(ctx g.SpecContext) {
			reader := e.User("get")
			held, other := e.User("t"), e.User("t")
			_, err := subscribe(ctx, e, spec.RuleGetNoSideEffect, reader, 900, []string{held})
			e.must(err)
			cleanupAfter(e, reader, []string{other}) // in case the server subscribes
			before, err := page(ctx, e, spec.RuleGetNoSideEffect, reader, client.Page(1, 10))
			e.must(err)
			_, r, err := e.Client.GetPresence(ctx, reader, []string{held, other})
			e.must(e.OK(ctx, spec.RuleGetNoSideEffect, r, err))
			after, err := page(ctx, e, spec.RuleGetNoSideEffect, reader, client.Page(1, 10))
			e.must(err)
			e.about(spec.RuleGetNoSideEffect).Expect(after).To(Equal(before), "the reader's sublist before and after a batch get")
		})

		g.It("PROBE: records what batch get answers for a user the server may not know", rules(spec.RuleProbeUnknownUser), func(ctx g.SpecContext) {
			unknown := e.Cfg.UserPrefix + "-never-registered"
			res, r, err := e.Client.GetPresence(ctx, e.User("get"), []string{unknown})
			e.must(e.Valid(ctx, spec.RuleProbeUnknownUser, r, err))
			observed := "answered " + itoa(int64(r.Status))
			if res != nil {
				observed += ", " + itoa(int64(len(res.Result))) + " entries"
			}
			g.AddReportEntry("probe", observed, g.ReportEntryVisibilityFailureOrVerbose)
		})
	})
}

func describeGroup(e *Env) {
	g.Describe("Group online count", func() {
		var group string
		online := -1
		g.BeforeEach(func(ctx g.SpecContext) {
			switch {
			case e.Cfg.Group != "":
				group, online = e.Cfg.Group, e.Cfg.GroupOnline
			case e.HasAdmin():
				members := e.Users("m", 5)
				// Two members connected; a third only has an "online"
				// presence status, which must not count (docs/contract.md#d9).
				id, err := e.PrepareGroup(ctx, members, 2)
				e.must(plainErr(err))
				e.must(set(ctx, e, spec.RuleGroupCount, members[2], "android_1", "1", ""))
				group, online = id, 2
			default:
				g.Skip("needs a prepared group: --group (with --group-online for an exact count), or a presencekit mock target with its admin API (--admin-token)")
			}
		})

		g.It("counts the connected members", rules(spec.RuleGroupCount), func(ctx g.SpecContext) {
			res, r, err := e.Client.GroupOnlineCount(ctx, group, 1)
			e.must(e.OK(ctx, spec.RuleGroupCount, r, err))
			if online >= 0 {
				e.about(spec.RuleGroupCount).Expect(res.Result.Value).To(BeEquivalentTo(online), "online members of the group")
			}
		})

		g.DescribeTable("refuses a query_type other than 0 or 1 with 400", refusals(spec.RuleGroupQueryType),
			func(ctx g.SpecContext, below bool) {
				bad := int(2)
				for _, q := range e.Limits.QueryTypes {
					if int(q) >= bad {
						bad = int(q) + 1
					}
				}
				if below {
					bad = -1
					for _, q := range e.Limits.QueryTypes {
						bad = min(bad, int(q)-1)
					}
				}
				_, r, err := e.Client.GroupOnlineCount(ctx, group, bad)
				e.must(e.Rejected(ctx, spec.RuleGroupQueryType, r, err, 400, "illegal_argument"))
			},
			g.Entry("above the documented ones", false),
			g.Entry("below them (negative)", true),
		)

		g.It("accepts every documented query_type", rules(spec.RuleGroupQueryType), func(ctx g.SpecContext) {
			for _, q := range e.Limits.QueryTypes {
				_, r, err := e.Client.GroupOnlineCount(ctx, group, int(q))
				e.must(e.OK(ctx, spec.RuleGroupQueryType, r, err))
			}
		})
	})
}
