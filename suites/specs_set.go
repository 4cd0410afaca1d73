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
			// Online, offline and another status, on one user: a server may
			// answer its first set right and a later one (or one status) not.
			u := e.User("set")
			for _, status := range []string{"1", "0", "away"} {
				res, r, err := e.Client.SetPresence(ctx, u, "android_1", status, "at work")
				e.must(e.OK(ctx, spec.RuleSetOk, r, err))
				e.about(spec.RuleSetOk).Expect(res.Result).To(Equal("ok"), "result of setting status %q", status)
			}
		})

		g.It("keeps a status per resource", rules(spec.RuleSetStatusPerResource), func(ctx g.SpecContext) {
			// Two resources of one device type, one of another, and a second
			// user with the same resource: each keeps its own status.
			u, v := e.User("set"), e.User("set")
			e.must(set(ctx, e, spec.RuleSetStatusPerResource, u, "android_1", "1", ""))
			e.must(set(ctx, e, spec.RuleSetStatusPerResource, u, "android_2", "busy", ""))
			e.must(set(ctx, e, spec.RuleSetStatusPerResource, u, "ios_2", "busy", ""))
			e.must(set(ctx, e, spec.RuleSetStatusPerResource, u, "android_1", "0", ""))
			e.must(set(ctx, e, spec.RuleSetStatusPerResource, v, "android_1", "1", ""))
			p, err := presenceOf(ctx, e, spec.RuleSetStatusPerResource, u)
			e.must(err)
			e.about(spec.RuleSetStatusPerResource).Expect(p.Status).To(HaveKeyWithValue("android_1", "0"), "the resource set last")
			e.about(spec.RuleSetStatusPerResource).Expect(p.Status).To(HaveKeyWithValue("android_2", "busy"), "another resource of the same type must keep its status")
			e.about(spec.RuleSetStatusPerResource).Expect(p.Status).To(HaveKeyWithValue("ios_2", "busy"), "the other resource must keep its status")
			q, err := presenceOf(ctx, e, spec.RuleSetStatusPerResource, v)
			e.must(err)
			e.about(spec.RuleSetStatusPerResource).Expect(q.Status).To(HaveKeyWithValue("android_1", "1"), "the second user's resource")
		})

		g.It("returns the ext of the last status through batch get", rules(spec.RuleSetExtVisible), func(ctx g.SpecContext) {
			u := e.User("set")
			ext := "lunch until " + u
			e.must(set(ctx, e, spec.RuleSetExtVisible, u, "web_1", "away", ext))
			p, err := presenceOf(ctx, e, spec.RuleSetExtVisible, u)
			e.must(err)
			e.about(spec.RuleSetExtVisible).Expect(p.Ext).To(Equal(ext), "ext")
			// A later ext replaces it, read back whole at the maximum length.
			long := u + strings.Repeat("-", max(e.Limits.ExtMaxBytes-len(u)-1, 0)) + "!"
			e.must(set(ctx, e, spec.RuleSetExtVisible, u, "web_1", "1", long))
			p, err = presenceOf(ctx, e, spec.RuleSetExtVisible, u)
			e.must(err)
			e.about(spec.RuleSetExtVisible).Expect(p.Ext).To(Equal(long), "ext of the second set (%d bytes)", len(long))
		})

		g.DescribeTable("refuses a body without ext with 400", refusals(spec.RuleSetExtRequired),
			func(ctx g.SpecContext, body, code string) {
				r, err := e.Client.Do(ctx, "POST", "/users/"+e.User("set")+"/presence/web_1/1", nil, []byte(body), nil)
				e.must(e.Rejected(ctx, spec.RuleSetExtRequired, r, err, 400, code))
			},
			g.Entry("no ext", `{}`, "illegal_argument"),
			g.Entry("ext null", `{"ext":null}`, "illegal_argument"),
			// An ext deeper in the body is no ext of the request.
			g.Entry("ext only inside another object", `{"data":{"ext":"at work"}}`, "illegal_argument"),
		)

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

		g.DescribeTable("counts ext in bytes as received", refusals(spec.RuleSetExtMax),
			func(ctx g.SpecContext, ext func() string, accepted bool) {
				_, r, err := e.Client.SetPresence(ctx, e.User("set"), "web_1", "1", ext())
				if accepted {
					e.must(e.OK(ctx, spec.RuleSetExtMax, r, err))
					return
				}
				e.must(e.Rejected(ctx, spec.RuleSetExtMax, r, err, 400, "illegal_argument"))
			},
			// Quotes travel escaped (\"): the limit is on the value.
			g.Entry("the maximum in quote characters is accepted", func() string { return strings.Repeat(`"`, e.Limits.ExtMaxBytes) }, true),
			// Two bytes each: fewer characters than the limit, more bytes.
			g.Entry("more bytes than the maximum in two-byte characters is refused", func() string { return strings.Repeat("é", e.Limits.ExtMaxBytes/2+1) }, false),
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
			// Another status is no login or logout: last_time stays put,
			// even an hour later.
			before, err := presenceOf(ctx, e, spec.RuleSetLastTime, u)
			e.must(err)
			if e.Virtual() {
				e.must(plainErr(e.Advance(ctx, time.Hour)))
			}
			e.must(set(ctx, e, spec.RuleSetLastTime, u, "android_1", "away", ""))
			p, err := presenceOf(ctx, e, spec.RuleSetLastTime, u)
			e.must(err)
			e.about(spec.RuleSetLastTime).Expect(p.LastTime.Value).To(Equal(before.LastTime.Value), "last_time after status \"away\"")
		})

		g.It("accepts a plain resource such as the document's \"android\"", rules(spec.RuleSetResourcePlain), func(ctx g.SpecContext) {
			u := e.User("set")
			e.must(set(ctx, e, spec.RuleSetResourcePlain, u, "android", "1", ""))
			// Accepted and kept: batch get reports it under its own name.
			p, err := presenceOf(ctx, e, spec.RuleSetResourcePlain, u)
			e.must(err)
			e.about(spec.RuleSetResourcePlain).Expect(p.Status).To(HaveKeyWithValue("android", "1"), "the plain resource's status")
		})
	})
}
