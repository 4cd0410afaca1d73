package suites

import (
	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/presencekit/presencekit/client"
)

func describeUnsubscribe(e *Env) {
	g.Describe("Batch unsubscribe", func() {
		g.DescribeTable("limits users per call", refusals("UNSUB-LIMIT-USERS"),
			func(ctx g.SpecContext, over int, accepted bool) {
				_, r, err := e.Client.Unsubscribe(ctx, e.User("unsub"), e.Users("t", e.Limits.UnsubscribeMaxUsers+over), client.UnsubscribeObject)
				if accepted {
					Expect(e.OK(ctx, "UNSUB-LIMIT-USERS", r, err)).To(Succeed())
					return
				}
				Expect(e.Rejected(ctx, "UNSUB-LIMIT-USERS", r, err, 400, "illegal_argument")).To(Succeed())
			},
			g.Entry("the maximum is accepted", 0, true),
			g.Entry("one more is refused", 1, false),
		)

		g.DescribeTable("refuses an empty user list", refusals("UNSUB-USERS-NONEMPTY"),
			func(ctx g.SpecContext, body, code string) {
				r, err := e.Client.Do(ctx, "DELETE", "/users/"+e.User("unsub")+"/presence", nil, []byte(body), nil)
				Expect(e.Rejected(ctx, "UNSUB-USERS-NONEMPTY", r, err, 400, code)).To(Succeed())
			},
			g.Entry("table form", `{"users":[]}`, "illegal_argument"),
			// The code is not demanded here: a server without the bare form
			// (UNSUB-BODY-FORMS' business) may call [] a parse error.
			g.Entry("bare array", `[]`, ""),
		)

		g.It("removes exactly the listed subscriptions", rules("UNSUB-REMOVES"), func(ctx g.SpecContext) {
			sub := e.User("unsub")
			targets := e.Users("t", 3)
			_, err := subscribe(ctx, e, "UNSUB-REMOVES", sub, 900, targets)
			Expect(err).To(Succeed())
			before, err := page(ctx, e, "UNSUB-REMOVES", sub, client.Page(1, 10))
			Expect(err).To(Succeed())
			_, r, err := e.Client.Unsubscribe(ctx, sub, targets[:2], client.UnsubscribeObject)
			Expect(e.OK(ctx, "UNSUB-REMOVES", r, err)).To(Succeed())
			after, err := page(ctx, e, "UNSUB-REMOVES", sub, client.Page(1, 10))
			Expect(err).To(Succeed())
			var uids []string
			for _, s := range after.Sublist {
				uids = append(uids, s.UID)
			}
			Expect(uids).To(ConsistOf(targets[2]), "[UNSUB-REMOVES] the sublist after unsubscribing two of three")
			Expect(after.TotalNum.Value).To(Equal(before.TotalNum.Value-2), "[UNSUB-REMOVES] totalnum must drop by two")
		})

		g.DescribeTable("accepts both body forms", rules("UNSUB-BODY-FORMS"),
			func(ctx g.SpecContext, form client.UnsubscribeForm) {
				sub := e.User("unsub")
				targets := e.Users("t", 2)
				_, err := subscribe(ctx, e, "UNSUB-BODY-FORMS", sub, 900, targets)
				Expect(err).To(Succeed())
				_, r, err := e.Client.Unsubscribe(ctx, sub, targets[:1], form)
				Expect(e.OK(ctx, "UNSUB-BODY-FORMS", r, err)).To(Succeed())
			},
			g.Entry(`{"users":[…]}, the table's form`, client.UnsubscribeObject),
			g.Entry("a bare array, the example's form", client.UnsubscribeArray),
		)

		g.It("PROBE: records the answer to unsubscribing a user never subscribed", rules("PROBE-UNSUB-UNKNOWN"), func(ctx g.SpecContext) {
			_, r, err := e.Client.Unsubscribe(ctx, e.User("unsub"), []string{e.User("never")}, client.UnsubscribeObject)
			Expect(e.Valid(ctx, "PROBE-UNSUB-UNKNOWN", r, err)).To(Succeed())
			g.AddReportEntry("probe", "answered "+itoa(int64(r.Status)), g.ReportEntryVisibilityFailureOrVerbose)
		})
	})
}
