package suites

import (
	"context"
	"strings"
	"time"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/presencekit/presencekit/client"
)

// presenceOf reads one user's presence with batch get, found by uid (never
// by position: order is GET-ENTRY-PER-USER's business).
func presenceOf(ctx context.Context, e *Env, rule, user string) (client.Presence, error) {
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
func set(ctx context.Context, e *Env, rule, user, resource, status, ext string) error {
	_, r, err := e.Client.SetPresence(ctx, user, resource, status, ext)
	return e.OK(ctx, rule, r, err)
}

func describeSetStatus(e *Env) {
	g.Describe("Set status", func() {
		g.It("answers 200 with result \"ok\"", rules("SET-OK"), func(ctx g.SpecContext) {
			res, r, err := e.Client.SetPresence(ctx, e.User("set"), "android_1", "1", "at work")
			Expect(e.OK(ctx, "SET-OK", r, err)).To(Succeed())
			Expect(res.Result).To(Equal("ok"), "[SET-OK] result")
		})

		g.It("keeps a status per resource", rules("SET-STATUS-PER-RESOURCE"), func(ctx g.SpecContext) {
			u := e.User("set")
			Expect(set(ctx, e, "SET-STATUS-PER-RESOURCE", u, "android_1", "1", "")).To(Succeed())
			Expect(set(ctx, e, "SET-STATUS-PER-RESOURCE", u, "ios_2", "busy", "")).To(Succeed())
			Expect(set(ctx, e, "SET-STATUS-PER-RESOURCE", u, "android_1", "0", "")).To(Succeed())
			p, err := presenceOf(ctx, e, "SET-STATUS-PER-RESOURCE", u)
			Expect(err).To(Succeed())
			Expect(p.Status).To(HaveKeyWithValue("android_1", "0"), "[SET-STATUS-PER-RESOURCE] the resource set last")
			Expect(p.Status).To(HaveKeyWithValue("ios_2", "busy"), "[SET-STATUS-PER-RESOURCE] the other resource must keep its status")
		})

		g.It("returns the ext of the last status through batch get", rules("SET-EXT-VISIBLE"), func(ctx g.SpecContext) {
			u := e.User("set")
			ext := "lunch until " + u
			Expect(set(ctx, e, "SET-EXT-VISIBLE", u, "web_1", "away", ext)).To(Succeed())
			p, err := presenceOf(ctx, e, "SET-EXT-VISIBLE", u)
			Expect(err).To(Succeed())
			Expect(p.Ext).To(Equal(ext), "[SET-EXT-VISIBLE] ext")
		})

		g.It("refuses a body without ext with 400", refusals("SET-EXT-REQUIRED"), func(ctx g.SpecContext) {
			r, err := e.Client.Do(ctx, "POST", "/users/"+e.User("set")+"/presence/web_1/1", nil, []byte(`{}`), nil)
			Expect(e.Rejected(ctx, "SET-EXT-REQUIRED", r, err, 400, "illegal_argument")).To(Succeed())
		})

		g.DescribeTable("limits ext to its maximum in bytes", refusals("SET-EXT-MAX"),
			func(ctx g.SpecContext, over int, accepted bool) {
				ext := strings.Repeat("x", e.Limits.ExtMaxBytes+over)
				_, r, err := e.Client.SetPresence(ctx, e.User("set"), "web_1", "1", ext)
				if accepted {
					Expect(e.OK(ctx, "SET-EXT-MAX", r, err)).To(Succeed())
					return
				}
				Expect(e.Rejected(ctx, "SET-EXT-MAX", r, err, 400, "illegal_argument")).To(Succeed())
			},
			g.Entry("the maximum is accepted", 0, true),
			g.Entry("one byte more is refused", 1, false),
		)

		g.It("moves last_time when a resource goes online or offline", rules("SET-LAST-TIME"), g.Serial, func(ctx g.SpecContext) {
			u := e.User("set")
			check := func(status string) {
				Expect(set(ctx, e, "SET-LAST-TIME", u, "android_1", status, "")).To(Succeed())
				now, err := e.Now(ctx)
				Expect(err).To(Succeed())
				p, err := presenceOf(ctx, e, "SET-LAST-TIME", u)
				Expect(err).To(Succeed())
				Expect(e.NearUnix("SET-LAST-TIME", "last_time after status "+status, p.LastTime.Value, now)).To(Succeed())
			}
			check("1")
			if e.Virtual() {
				Expect(plainErr(e.Advance(ctx, time.Hour))).To(Succeed())
			}
			check("0")
		})

		g.It("accepts a plain resource such as the document's \"android\"", rules("SET-RESOURCE-PLAIN"), func(ctx g.SpecContext) {
			Expect(set(ctx, e, "SET-RESOURCE-PLAIN", e.User("set"), "android", "1", "")).To(Succeed())
		})
	})
}
