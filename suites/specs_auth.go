package suites

import (
	"context"
	"net/http"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

// operationCall sends one well-formed request of an operation with the
// given call options, for cross-cutting rules.
type operationCall func(ctx context.Context, e *Env, opts ...client.CallOption) (*client.Response, error)

func presenceCalls() map[string]operationCall {
	return map[string]operationCall{
		spec.OpSetStatus: func(ctx context.Context, e *Env, o ...client.CallOption) (*client.Response, error) {
			_, r, err := e.Client.SetPresence(ctx, e.User("auth"), "web_1", "1", "", o...)
			return r, err
		},
		spec.OpSubscribe: func(ctx context.Context, e *Env, o ...client.CallOption) (*client.Response, error) {
			_, r, err := e.Client.Subscribe(ctx, e.User("auth"), 60, []string{e.User("t")}, o...)
			return r, err
		},
		spec.OpGetStatus: func(ctx context.Context, e *Env, o ...client.CallOption) (*client.Response, error) {
			_, r, err := e.Client.GetPresence(ctx, e.User("auth"), []string{e.User("t")}, o...)
			return r, err
		},
		spec.OpGroupOnline: func(ctx context.Context, e *Env, o ...client.CallOption) (*client.Response, error) {
			_, r, err := e.Client.GroupOnlineCount(ctx, e.User("g"), 1, o...)
			return r, err
		},
		spec.OpUnsubscribe: func(ctx context.Context, e *Env, o ...client.CallOption) (*client.Response, error) {
			_, r, err := e.Client.Unsubscribe(ctx, e.User("auth"), []string{e.User("t")}, client.UnsubscribeObject, o...)
			return r, err
		},
		spec.OpSublist: func(ctx context.Context, e *Env, o ...client.CallOption) (*client.Response, error) {
			_, r, err := e.Client.ListSubscriptions(ctx, e.User("auth"), client.Page(1, 10), o...)
			return r, err
		},
	}
}

// wrongToken is a bearer no server issued.
const wrongToken = "presencekit-wrong-token-0000"

func describeAuth(e *Env) {
	calls := presenceCalls()
	g.Describe("Authentication", func() {
		entries := func() []g.TableEntry {
			var out []g.TableEntry
			for _, op := range []string{spec.OpSetStatus, spec.OpSubscribe, spec.OpGetStatus, spec.OpGroupOnline, spec.OpUnsubscribe, spec.OpSublist} {
				// The op label lets a profile that does not offer op leave
				// its entry out (notApplicableFilter).
				out = append(out, g.Entry(op, g.Label(LabelOp+op), op))
			}
			return out
		}
		g.DescribeTable("refuses a request without a token with 401", rules(spec.RuleAuthRequired, spec.RuleErrEnvelope),
			func(ctx g.SpecContext, op string) {
				r, err := calls[op](ctx, e, client.WithoutAuth())
				e.must(e.Rejected(ctx, spec.RuleAuthRequired, r, err, http.StatusUnauthorized, ""))
			}, entries())
		g.DescribeTable("refuses a wrong token with 401", rules(spec.RuleAuthInvalidToken, spec.RuleErrEnvelope),
			func(ctx g.SpecContext, op string) {
				r, err := calls[op](ctx, e, client.WithBearer(wrongToken))
				e.must(e.Rejected(ctx, spec.RuleAuthInvalidToken, r, err, http.StatusUnauthorized, ""))
			}, entries())
		g.It("refuses credentials of another scheme with 401", rules(spec.RuleAuthInvalidToken, spec.RuleErrEnvelope), func(ctx g.SpecContext) {
			// A server that checks only Bearer credentials lets these through.
			basic := http.Header{"Authorization": {"Basic cHJlc2VuY2VraXQ6d3Jvbmc="}}
			r, err := e.Client.Do(ctx, http.MethodGet, "/users/"+e.User("auth")+"/presence/sublist", nil, nil, basic)
			e.must(e.Rejected(ctx, spec.RuleAuthInvalidToken, r, err, http.StatusUnauthorized, ""))
		})
		g.It("names a refused request \"unauthorized\"", rules(spec.RuleAuth401Code, spec.RuleErrEnvelope), func(ctx g.SpecContext) {
			// Each refusal is checked for its code; a request that was not
			// refused is another rule's failure (AUTH-REQUIRED or
			// AUTH-INVALID-TOKEN), so it is left to that rule.
			checked := 0
			for _, opt := range []client.CallOption{client.WithoutAuth(), client.WithBearer(wrongToken)} {
				r, err := calls[spec.OpSublist](ctx, e, opt)
				e.must(e.Valid(ctx, spec.RuleAuth401Code, r, err))
				if r.Status == http.StatusUnauthorized {
					e.must(e.Rejected(ctx, spec.RuleAuth401Code, r, err, http.StatusUnauthorized, "unauthorized"))
					checked++
				}
			}
			e.about(spec.RuleAuth401Code).Expect(checked).To(BeNumerically(">", 0), "no request was refused, nothing to check")
		})
	})

	g.Describe("Token endpoint", func() {
		g.BeforeEach(func() {
			if e.Cfg.ClientID == "" || e.Cfg.ClientSecret == "" {
				g.Skip("needs --client-id and --client-secret")
			}
		})
		g.It("issues a token for client credentials that the presence operations accept", rules(spec.RuleTokenGrant), func(ctx g.SpecContext) {
			res, r, err := e.Client.GetAppToken(ctx, client.TokenRequest{ClientID: e.Cfg.ClientID, ClientSecret: e.Cfg.ClientSecret})
			e.must(e.OK(ctx, spec.RuleTokenGrant, r, err))
			e.about(spec.RuleTokenGrant).Expect(res.AccessToken).NotTo(BeEmpty(), "empty access_token")
			e.about(spec.RuleTokenGrant).Expect(res.ExpiresIn.Value).To(BeNumerically(">", 0), "expires_in must be positive")
			r, err = calls[spec.OpSublist](ctx, e, client.WithBearer(res.AccessToken))
			e.must(e.OK(ctx, spec.RuleTokenGrant, r, err))
		})
		g.DescribeTable("refuses a wrong client secret and issues no token", rules(spec.RuleTokenBadSecret, spec.RuleErrEnvelope),
			func(ctx g.SpecContext, secret func() string) {
				_, r, err := e.Client.GetAppToken(ctx, client.TokenRequest{ClientID: e.Cfg.ClientID, ClientSecret: secret()})
				e.must(e.Rejected(ctx, spec.RuleTokenBadSecret, r, err, http.StatusUnauthorized, ""))
			},
			// The right secret with more after it: a server comparing a
			// prefix lets it through.
			g.Entry("the secret with a suffix", func() string { return e.Cfg.ClientSecret + "-wrong" }),
			// A server trimming its input lets this through.
			g.Entry("the secret with a space after it", func() string { return e.Cfg.ClientSecret + " " }),
		)
	})
}
