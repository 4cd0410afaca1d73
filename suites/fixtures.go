package suites

import (
	"context"
	"strconv"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// subscribe subscribes and registers the cleanup that removes the
// subscriptions after the spec. It checks only that the answer is a valid
// 200 and returns its entries by uid.
func subscribe(ctx context.Context, e *Env, rule spec.RuleID, subscriber string, expiry int64, targets []string) (map[string]client.Presence, error) {
	cleanupAfter(e, subscriber, targets)
	res, r, err := e.Client.Subscribe(ctx, subscriber, expiry, targets)
	if err := e.OK(ctx, rule, r, err); err != nil {
		return nil, err
	}
	byUID := make(map[string]client.Presence, len(res.Result))
	for _, p := range res.Result {
		byUID[p.UID] = p
	}
	return byUID, nil
}

// cleanupAfter registers subscriptions a spec may create (even ones the
// server should have refused) for removal when the spec ends.
func cleanupAfter(e *Env, subscriber string, targets []string) {
	e.Track(subscriber, targets)
	g.DeferCleanup(func(ctx g.SpecContext) {
		Expect(plainErr(e.Cleanup(ctx, subscriber))).To(Succeed(), "removing the spec's subscriptions")
	})
}

// page reads one sublist page and checks it is a valid 200.
func page(ctx context.Context, e *Env, rule spec.RuleID, subscriber string, q client.SublistQuery) (*client.Sublist, error) {
	res, r, err := e.Client.ListSubscriptions(ctx, subscriber, q)
	if err := e.OK(ctx, rule, r, err); err != nil {
		return nil, err
	}
	return &res.Result, nil
}

// listAll reads every subscription of a subscriber that holds about n of
// them, by uid. The page size is chosen so n is not a multiple of it: the
// last page is then short and no page past the end is ever asked for
// (that is SUBLIST-PAST-END's business). Duplicates across pages collapse
// (that is SUBLIST-PAGES's business).
func listAll(ctx context.Context, e *Env, rule spec.RuleID, subscriber string, n int) (map[string]int64, error) {
	size := e.Limits.PageSizeMax
	for size > e.Limits.PageSizeMin && n > 0 && n%size == 0 {
		size--
	}
	out := map[string]int64{}
	for num := 1; num <= n/size+2; num++ {
		p, err := page(ctx, e, rule, subscriber, client.Page(num, size))
		if err != nil {
			return nil, err
		}
		added := 0
		for _, s := range p.Sublist {
			if _, dup := out[s.UID]; !dup {
				added++
			}
			out[s.UID] = s.Expiry.Value
		}
		if len(p.Sublist) < size || added == 0 {
			break
		}
	}
	return out, nil
}

// itoa is for path segments built by hand.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
