package suites

import (
	"slices"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/presencekit/presencekit/checks"
	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

func describeSublist(e *Env) {
	g.Describe("Subscription list", func() {
		g.DescribeTable("takes pageSize between its minimum and maximum", refusals(spec.RuleSublistPagesizeRange),
			func(ctx g.SpecContext, size func() int64, accepted bool) {
				_, r, err := e.Client.ListSubscriptions(ctx, e.User("list"), subQuery("1", itoa(size())))
				if accepted {
					e.must(e.OK(ctx, spec.RuleSublistPagesizeRange, r, err))
					return
				}
				e.must(e.Rejected(ctx, spec.RuleSublistPagesizeRange, r, err, 400, "illegal_argument"))
			},
			g.Entry("the minimum is accepted", func() int64 { return int64(e.Limits.PageSizeMin) }, true),
			g.Entry("the maximum is accepted", func() int64 { return int64(e.Limits.PageSizeMax) }, true),
			g.Entry("below the minimum is refused", func() int64 { return int64(e.Limits.PageSizeMin - 1) }, false),
			g.Entry("above the maximum is refused", func() int64 { return int64(e.Limits.PageSizeMax + 1) }, false),
			g.Entry("twice the maximum is refused", func() int64 { return int64(2 * e.Limits.PageSizeMax) }, false),
			g.Entry("a negative size is refused", func() int64 { return -1 }, false),
		)

		g.DescribeTable("takes pageNum from its minimum", refusals(spec.RuleSublistPagenumMin),
			func(ctx g.SpecContext, num func() int64, accepted bool, size string) {
				_, r, err := e.Client.ListSubscriptions(ctx, e.User("list"), subQuery(itoa(num()), size))
				if accepted {
					e.must(e.OK(ctx, spec.RuleSublistPagenumMin, r, err))
					return
				}
				e.must(e.Rejected(ctx, spec.RuleSublistPagenumMin, r, err, 400, "illegal_argument"))
			},
			g.Entry("the minimum is accepted", func() int64 { return int64(e.Limits.PageNumMin) }, true, "10"),
			g.Entry("below the minimum is refused", func() int64 { return int64(e.Limits.PageNumMin - 1) }, false, "10"),
			g.Entry("below the minimum without pageSize is refused", func() int64 { return int64(e.Limits.PageNumMin - 1) }, false, ""),
			g.Entry("a negative number is refused", func() int64 { return -1 }, false, "10"),
		)

		g.DescribeTable("refuses non-integer paging values", refusals(spec.RuleSublistNonInteger),
			func(ctx g.SpecContext, num, size string) {
				_, r, err := e.Client.ListSubscriptions(ctx, e.User("list"), subQuery(num, size))
				e.must(e.Rejected(ctx, spec.RuleSublistNonInteger, r, err, 400, "illegal_argument"))
			},
			g.Entry("pageNum a word", "first", "10"),
			g.Entry("pageSize a fraction", "1", "2.5"),
			// Whole numbers, but no integer literals.
			g.Entry("pageSize an exponent form", "1", "1e1"),
			g.Entry("pageNum a decimal form", "1.0", "10"),
		)

		g.It("returns the first page of the default size without paging parameters", rules(spec.RuleSublistDefaults), func(ctx g.SpecContext) {
			sub := e.User("list")
			_, err := subscribe(ctx, e, spec.RuleSublistDefaults, sub, 900, e.Users("t", e.Limits.PageSizeDefault+2))
			e.must(err)
			bare, err := page(ctx, e, spec.RuleSublistDefaults, sub, client.SublistQuery{})
			e.must(err)
			e.about(spec.RuleSublistDefaults).Expect(bare.Sublist).To(HaveLen(e.Limits.PageSizeDefault), "entries without pageSize")
			first, err := page(ctx, e, spec.RuleSublistDefaults, sub, client.Page(e.Limits.PageNumDefault, e.Limits.PageSizeDefault))
			e.must(err)
			e.about(spec.RuleSublistDefaults).Expect(uids(bare.Sublist)).To(Equal(uids(first.Sublist)), "without parameters = page %d of %d", e.Limits.PageNumDefault, e.Limits.PageSizeDefault)
		})

		g.It("counts every unexpired subscription in totalnum, on every page", rules(spec.RuleSublistTotalnum), func(ctx g.SpecContext) {
			sub := e.User("list")
			const n = 7
			_, err := subscribe(ctx, e, spec.RuleSublistTotalnum, sub, 900, e.Users("t", n))
			e.must(err)
			for _, q := range []client.SublistQuery{client.Page(1, 3), client.Page(2, 3), client.Page(1, 100)} {
				p, err := page(ctx, e, spec.RuleSublistTotalnum, sub, q)
				e.must(err)
				e.about(spec.RuleSublistTotalnum).Expect(p.TotalNum.Value).To(BeEquivalentTo(n), "totalnum on page %s of %s", q.PageNum, q.PageSize)
			}
		})

		g.It("pages through every subscription once, in disjoint pages", rules(spec.RuleSublistPages), func(ctx g.SpecContext) {
			sub := e.User("list")
			targets := e.Users("t", 7)
			_, err := subscribe(ctx, e, spec.RuleSublistPages, sub, 900, targets)
			e.must(err)
			const size = 3
			var pages [][]string
			for num := 1; num <= 3; num++ {
				p, err := page(ctx, e, spec.RuleSublistPages, sub, client.Page(num, size))
				e.must(err)
				if !checks.PageFits(len(p.Sublist), size) {
					e.must(fail(spec.RuleSublistPages, "%d entries on page %d of size %d", len(p.Sublist), num, size))
				}
				pages = append(pages, uids(p.Sublist))
			}
			if uid, dup := checks.Repeated(pages...); dup {
				e.must(fail(spec.RuleSublistPages, "%s is listed twice across pages %q", uid, pages))
			}
			e.about(spec.RuleSublistPages).Expect(slices.Concat(pages...)).To(ConsistOf(targets), "the pages together must list every subscription")
		})

		g.It("answers a page past the end with an empty list", rules(spec.RuleSublistPastEnd), func(ctx g.SpecContext) {
			sub := e.User("list")
			_, err := subscribe(ctx, e, spec.RuleSublistPastEnd, sub, 900, e.Users("t", 2))
			e.must(err)
			p, err := page(ctx, e, spec.RuleSublistPastEnd, sub, client.Page(5, 10))
			e.must(err)
			e.about(spec.RuleSublistPastEnd).Expect(p.Sublist).To(BeEmpty(), "page 5 of 10 with 2 subscriptions")
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
