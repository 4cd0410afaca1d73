package suites

import (
	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/presencekit/presencekit/client"
)

func describeSublist(e *Env) {
	g.Describe("Subscription list", func() {
		g.DescribeTable("takes pageSize between its minimum and maximum", refusals("SUBLIST-PAGESIZE-RANGE"),
			func(ctx g.SpecContext, size func() int64, accepted bool) {
				_, r, err := e.Client.ListSubscriptions(ctx, e.User("list"), subQuery("1", itoa(size())))
				if accepted {
					Expect(e.OK(ctx, "SUBLIST-PAGESIZE-RANGE", r, err)).To(Succeed())
					return
				}
				Expect(e.Rejected(ctx, "SUBLIST-PAGESIZE-RANGE", r, err, 400, "illegal_argument")).To(Succeed())
			},
			g.Entry("the minimum is accepted", func() int64 { return int64(e.Limits.PageSizeMin) }, true),
			g.Entry("the maximum is accepted", func() int64 { return int64(e.Limits.PageSizeMax) }, true),
			g.Entry("below the minimum is refused", func() int64 { return int64(e.Limits.PageSizeMin - 1) }, false),
			g.Entry("above the maximum is refused", func() int64 { return int64(e.Limits.PageSizeMax + 1) }, false),
		)

		g.DescribeTable("takes pageNum from its minimum", refusals("SUBLIST-PAGENUM-MIN"),
			func(ctx g.SpecContext, num func() int64, accepted bool) {
				_, r, err := e.Client.ListSubscriptions(ctx, e.User("list"), subQuery(itoa(num()), "10"))
				if accepted {
					Expect(e.OK(ctx, "SUBLIST-PAGENUM-MIN", r, err)).To(Succeed())
					return
				}
				Expect(e.Rejected(ctx, "SUBLIST-PAGENUM-MIN", r, err, 400, "illegal_argument")).To(Succeed())
			},
			g.Entry("the minimum is accepted", func() int64 { return int64(e.Limits.PageNumMin) }, true),
			g.Entry("below the minimum is refused", func() int64 { return int64(e.Limits.PageNumMin - 1) }, false),
		)

		g.DescribeTable("refuses non-integer paging values", refusals("SUBLIST-NON-INTEGER"),
			func(ctx g.SpecContext, num, size string) {
				_, r, err := e.Client.ListSubscriptions(ctx, e.User("list"), subQuery(num, size))
				Expect(e.Rejected(ctx, "SUBLIST-NON-INTEGER", r, err, 400, "illegal_argument")).To(Succeed())
			},
			g.Entry("pageNum a word", "first", "10"),
			g.Entry("pageSize a fraction", "1", "2.5"),
		)

		g.It("returns the first page of the default size without paging parameters", rules("SUBLIST-DEFAULTS"), func(ctx g.SpecContext) {
			sub := e.User("list")
			_, err := subscribe(ctx, e, "SUBLIST-DEFAULTS", sub, 900, e.Users("t", e.Limits.PageSizeDefault+2))
			Expect(err).To(Succeed())
			bare, err := page(ctx, e, "SUBLIST-DEFAULTS", sub, client.SublistQuery{})
			Expect(err).To(Succeed())
			Expect(bare.Sublist).To(HaveLen(e.Limits.PageSizeDefault), "[SUBLIST-DEFAULTS] entries without pageSize")
			first, err := page(ctx, e, "SUBLIST-DEFAULTS", sub, client.Page(e.Limits.PageNumDefault, e.Limits.PageSizeDefault))
			Expect(err).To(Succeed())
			Expect(uids(bare.Sublist)).To(Equal(uids(first.Sublist)), "[SUBLIST-DEFAULTS] without parameters = page %d of %d", e.Limits.PageNumDefault, e.Limits.PageSizeDefault)
		})

		g.It("counts every unexpired subscription in totalnum, on every page", rules("SUBLIST-TOTALNUM"), func(ctx g.SpecContext) {
			sub := e.User("list")
			const n = 7
			_, err := subscribe(ctx, e, "SUBLIST-TOTALNUM", sub, 900, e.Users("t", n))
			Expect(err).To(Succeed())
			for _, q := range []client.SublistQuery{client.Page(1, 3), client.Page(2, 3), client.Page(1, 100)} {
				p, err := page(ctx, e, "SUBLIST-TOTALNUM", sub, q)
				Expect(err).To(Succeed())
				Expect(p.TotalNum.Value).To(BeEquivalentTo(n), "[SUBLIST-TOTALNUM] totalnum on page %s of %s", q.PageNum, q.PageSize)
			}
		})

		g.It("pages through every subscription once, in disjoint pages", rules("SUBLIST-PAGES"), func(ctx g.SpecContext) {
			sub := e.User("list")
			targets := e.Users("t", 7)
			_, err := subscribe(ctx, e, "SUBLIST-PAGES", sub, 900, targets)
			Expect(err).To(Succeed())
			const size = 3
			seen := map[string]int{}
			for num := 1; num <= 3; num++ {
				p, err := page(ctx, e, "SUBLIST-PAGES", sub, client.Page(num, size))
				Expect(err).To(Succeed())
				Expect(len(p.Sublist)).To(BeNumerically("<=", size), "[SUBLIST-PAGES] entries on page %d", num)
				for _, s := range p.Sublist {
					seen[s.UID]++
				}
			}
			for uid, n := range seen {
				Expect(n).To(Equal(1), "[SUBLIST-PAGES] %s is listed on %d pages", uid, n)
			}
			Expect(seen).To(HaveLen(len(targets)), "[SUBLIST-PAGES] the pages together must list every subscription")
			for _, t := range targets {
				Expect(seen).To(HaveKey(t), "[SUBLIST-PAGES] a subscription is on no page")
			}
		})

		g.It("answers a page past the end with an empty list", rules("SUBLIST-PAST-END"), func(ctx g.SpecContext) {
			sub := e.User("list")
			_, err := subscribe(ctx, e, "SUBLIST-PAST-END", sub, 900, e.Users("t", 2))
			Expect(err).To(Succeed())
			p, err := page(ctx, e, "SUBLIST-PAST-END", sub, client.Page(5, 10))
			Expect(err).To(Succeed())
			Expect(p.Sublist).To(BeEmpty(), "[SUBLIST-PAST-END] page 5 of 10 with 2 subscriptions")
		})
	})
}

func uids(list []client.Subscription) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.UID
	}
	return out
}

// subQuery is a sublist query with raw values, for limit cases.
func subQuery(num, size string) client.SublistQuery {
	return client.SublistQuery{PageNum: num, PageSize: size}
}
