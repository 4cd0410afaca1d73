package suites

import (
	"slices"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

func describeUnsubscribe(e *Env) {
	g.Describe("Batch unsubscribe", func() {
		g.DescribeTable("limits users per call", refusals(spec.RuleUnsubLimitUsers),
			func(ctx g.SpecContext, over int, accepted bool, form client.UnsubscribeForm) {
				_, r, err := e.Client.Unsubscribe(ctx, e.User("unsub"), e.Users("t", e.Limits.UnsubscribeMaxUsers+over), form)
				if accepted {
					e.must(e.OK(ctx, spec.RuleUnsubLimitUsers, r, err))
					return
				}
				code := "illegal_argument"
				if form == client.UnsubscribeArray {
					code = "" // a server without the bare form may call it a parse error
				}
				e.must(e.Rejected(ctx, spec.RuleUnsubLimitUsers, r, err, 400, code))
			},
			g.Entry("the maximum is accepted", 0, true, client.UnsubscribeObject),
			g.Entry("one more is refused", 1, false, client.UnsubscribeObject),
			g.Entry("one more in a bare array is refused", 1, false, client.UnsubscribeArray),
		)

		g.DescribeTable("refuses an empty user list", refusals(spec.RuleUnsubUsersNonempty),
			func(ctx g.SpecContext, body, code string) {
				r, err := e.Client.Do(ctx, "DELETE", "/users/"+e.User("unsub")+"/presence", nil, []byte(body), nil)
				e.must(e.Rejected(ctx, spec.RuleUnsubUsersNonempty, r, err, 400, code))
			},
			g.Entry("table form", `{"users":[]}`, "illegal_argument"),
			// The code is not demanded here: a server without the bare form
			// (UNSUB-BODY-FORMS' business) may call [] a parse error.
			g.Entry("bare array", `[]`, ""),
			// Nor here: a server may call null a parse error.
			g.Entry("null", `{"users":null}`, ""),
		)

		g.It("removes exactly the listed subscriptions", rules(spec.RuleUnsubRemoves), func(ctx g.SpecContext) {
			sub := e.User("unsub")
			targets := e.Users("t", 3)
			_, err := subscribe(ctx, e, spec.RuleUnsubRemoves, sub, 900, targets)
			e.must(err)
			before, err := page(ctx, e, spec.RuleUnsubRemoves, sub, client.Page(1, 10))
			e.must(err)
			_, r, err := e.Client.Unsubscribe(ctx, sub, targets[:2], client.UnsubscribeObject)
			e.must(e.OK(ctx, spec.RuleUnsubRemoves, r, err))
			after, err := page(ctx, e, spec.RuleUnsubRemoves, sub, client.Page(1, 10))
			e.must(err)
			var uids []string
			for _, s := range after.Sublist {
				uids = append(uids, s.UID)
			}
			e.about(spec.RuleUnsubRemoves).Expect(uids).To(ConsistOf(targets[2]), "the sublist after unsubscribing two of three")
			e.about(spec.RuleUnsubRemoves).Expect(after.TotalNum.Value).To(Equal(before.TotalNum.Value-2), "totalnum must drop by two")
		})

		g.It("leaves another subscriber's subscriptions to the same users", rules(spec.RuleUnsubRemoves), func(ctx g.SpecContext) {
			sub, other := e.User("unsub"), e.User("unsub")
			targets := e.Users("t", 2)
			_, err := subscribe(ctx, e, spec.RuleUnsubRemoves, sub, 900, targets)
			e.must(err)
			_, err = subscribe(ctx, e, spec.RuleUnsubRemoves, other, 900, targets)
			e.must(err)
			_, r, err := e.Client.Unsubscribe(ctx, sub, targets, client.UnsubscribeObject)
			e.must(e.OK(ctx, spec.RuleUnsubRemoves, r, err))
			p, err := page(ctx, e, spec.RuleUnsubRemoves, other, client.Page(1, 10))
			e.must(err)
			e.about(spec.RuleUnsubRemoves).Expect(uids(p.Sublist)).To(ConsistOf(targets), "the other subscriber's sublist")
		})

		g.DescribeTable("accepts both body forms", rules(spec.RuleUnsubBodyForms),
			func(ctx g.SpecContext, form client.UnsubscribeForm) {
				// Each form removes what it lists, as far as the table's form
				// does (what that removes is UNSUB-REMOVES' business).
				removed := func(form client.UnsubscribeForm) ([]string, []string) {
					sub := e.User("unsub")
					targets := e.Users("t", 3)
					_, err := subscribe(ctx, e, spec.RuleUnsubBodyForms, sub, 900, targets)
					e.must(err)
					_, r, err := e.Client.Unsubscribe(ctx, sub, targets[:2], form)
					e.must(e.OK(ctx, spec.RuleUnsubBodyForms, r, err))
					p, err := page(ctx, e, spec.RuleUnsubBodyForms, sub, client.Page(1, 10))
					e.must(err)
					return uids(p.Sublist), targets[2:]
				}
				got, want := removed(form)
				if form == client.UnsubscribeObject {
					return
				}
				if table, tableWant := removed(client.UnsubscribeObject); !slices.Equal(table, tableWant) {
					return
				}
				e.about(spec.RuleUnsubBodyForms).Expect(got).To(ConsistOf(want), "the sublist after unsubscribing two of three with this form")
			},
			g.Entry(`{"users":[…]}, the table's form`, client.UnsubscribeObject),
			g.Entry("a bare array, the example's form", client.UnsubscribeArray),
		)

		g.It("PROBE: records the answer to unsubscribing a user never subscribed", rules(spec.RuleProbeUnsubUnknown), func(ctx g.SpecContext) {
			_, r, err := e.Client.Unsubscribe(ctx, e.User("unsub"), []string{e.User("never")}, client.UnsubscribeObject)
			e.must(e.Valid(ctx, spec.RuleProbeUnsubUnknown, r, err))
			g.AddReportEntry("probe", "answered "+itoa(int64(r.Status)), g.ReportEntryVisibilityFailureOrVerbose)
		})
	})
}
