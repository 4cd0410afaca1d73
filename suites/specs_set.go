package suites

import (
	"context"
	"strings"
	"time"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// presenceOf reads one user's presence with batch get, found by uid (never
// by position: order is GET-ENTRY-PER-USER's business).
func presenceOf(ctx context.Context, e *Env, rule spec.RuleID, user string) (client.Presence, error) {
	res, r, err := e.Client.GetPresence(ctx, e.User("reader"), []string{user})
	if err := e.OK(ctx, rule, r, err); err != nil {
		return client.Presence{}, err
	}
	for _, p := range res.Result {
		if p.UID == user {
			return p, nil
		}
	}
	return client.Presence{}, fail(rule, "batch get for %s answered no entry for it", user)
}

// set sets a status and checks only that it was accepted: the value of
// result is SET-OK's business.
func set(ctx context.Context, e *Env, rule spec.RuleID, user, resource, status, ext string) error {
	_, r, err := e.Client.SetPresence(ctx, user, resource, status, ext)
	return e.OK(ctx, rule, r, err)
}

func describeSetStatus(e *Env) {
	g.Describe("Set status", func() {
		g.It("answers 200 with result \"ok\"", rules(spec.RuleSetOk), func(ctx g.SpecContext) {
			res, r, err := e.Client.SetPresence(ctx, e.User("set"), "android_1", "1", "at work")
			e.must(e.OK(ctx, spec.RuleSetOk, r, err))
			e.about(spec.RuleSetOk).Expect(res.Result).To(Equal("ok"), "result")
		})

		g.It("keeps a status per resource", rules(spec.RuleSetStatusPerResource), func(ctx g.SpecContext) {
			u := e.User("set")
			e.must(set(ctx, e, spec.RuleSetStatusPerResource, u, "android_1", "1", ""))
			e.must(set(ctx, e, spec.RuleSetStatusPerResource, u, "ios_2", "busy", ""))
			e.must(set(ctx, e, spec.RuleSetStatusPerResource, u, "android_1", "0", ""))
			p, err := presenceOf(ctx, e, spec.RuleSetStatusPerResource, u)
			e.must(err)
			e.about(spec.RuleSetStatusPerResource).Expect(p.Status).To(HaveKeyWithValue("android_1", "0"), "the resource set last")
			e.about(spec.RuleSetStatusPerResource).Expect(p.Status).To(HaveKeyWithValue("ios_2", "busy"), "the other resource must keep its status")
		})

		g.It("returns the ext of the last status through batch get", rules(spec.RuleSetExtVisible), func(ctx g.SpecContext) {
			u := e.User("set")
			ext := "lunch until " + u
			e.must(set(ctx, e, spec.RuleSetExtVisible, u, "web_1", "away", ext))
			p, err := presenceOf(ctx, e, spec.RuleSetExtVisible, u)
			e.must(err)
			e.about(spec.RuleSetExtVisible).Expect(p.Ext).To(Equal(ext), "ext")
		})

		g.It("refuses a body without ext with 400", refusals(spec.RuleSetExtRequired), func(ctx g.SpecContext) {
			r, err := e.Client.Do(ctx, "POST", "/users/"+e.User("set")+"/presence/web_1/1", nil, []byte(`{}`), nil)
			e.must(e.Rejected(ctx, spec.RuleSetExtRequired, r, err, 400, "illegal_argument"))
		})

		g.DescribeTable("limits ext to its maximum in bytes", refusals(spec.RuleSetExtMax),
			func(ctx g.SpecContext, over int, accepted bool) {
				ext := strings.Repeat("x", e.Limits.ExtMaxBytes+over)
				_, r, err := e.Client.SetPresence(ctx, e.User("set"), "web_1", "1", ext)
				if accepted {
					e.must(e.OK(ctx, spec.RuleSetExtMax, r, err))
					return
				}
				e.must(e.Rejected(ctx, spec.RuleSetExtMax, r, err, 400, "illegal_argument"))
			},
			g.Entry("the maximum is accepted", 0, true),
			g.Entry("one byte more is refused", 1, false),
		)

		g.It("moves last_time when a resource goes online or offline", rules(spec.RuleSetLastTime), g.Serial, func(ctx g.SpecContext) {
			u := e.User("set")
			check := func(status string) {
				e.must(set(ctx, e, spec.RuleSetLastTime, u, "android_1", status, ""))
				now, err := e.Now(ctx)
				e.must(err)
				p, err := presenceOf(ctx, e, spec.RuleSetLastTime, u)
				e.must(err)
				e.must(e.NearUnix(spec.RuleSetLastTime, "last_time after status "+status, p.LastTime.Value, now))
			}
			check("1")
			if e.Virtual() {
				e.must(plainErr(e.Advance(ctx, time.Hour)))
			}
			check("0")
		})

		g.It("accepts a plain resource such as the document's \"android\"", rules(spec.RuleSetResourcePlain), func(ctx g.SpecContext) {
			e.must(set(ctx, e, spec.RuleSetResourcePlain, e.User("set"), "android", "1", ""))
		})
	})
}
