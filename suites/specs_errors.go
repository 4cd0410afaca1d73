package suites

import (
	"bytes"
	"net/http"
	"strings"
	"sync"

	g "github.com/onsi/ginkgo/v2"

	"github.com/presencekit/presencekit/client"
	"github.com/presencekit/presencekit/spec"
)

func describeErrors(e *Env) {
	g.Describe("Errors", func() {
		// These two specs need some request to be refused; the refusal
		// itself belongs to the limit rule, which is blamed (and labelled)
		// if the server accepts it.
		g.It("answers refusals in the vendor's envelope with a millisecond timestamp", rules(spec.RuleErrEnvelope, spec.RuleSubExpiryPositive), func(ctx g.SpecContext) {
			sub, t := e.User("err"), e.User("t")
			cleanupAfter(e, sub, []string{t})
			_, r, err := e.Client.SubscribeRaw(ctx, sub, itoa(e.Limits.ExpiryMin-1), []string{t})
			e.must(e.Rejected(ctx, spec.RuleSubExpiryPositive, r, err, 400, ""))
		})

		g.It("names out-of-limit values \"illegal_argument\"", rules(spec.RuleErrIllegalArgument, spec.RuleErrEnvelope, spec.RuleSublistPagesizeRange), func(ctx g.SpecContext) {
			_, r, err := e.Client.ListSubscriptions(ctx, e.User("err"), subQuery("1", itoa(int64(e.Limits.PageSizeMax+1))))
			e.must(e.Rejected(ctx, spec.RuleSublistPagesizeRange, r, err, 400, "illegal_argument"))
		})

		g.DescribeTable("refuses malformed JSON with 400 json_parse", rules(spec.RuleErrJSONParse, spec.RuleErrEnvelope),
			func(ctx g.SpecContext, method, path string) {
				path = strings.ReplaceAll(path, "{u}", e.User("err"))
				r, err := e.Client.Do(ctx, method, path, nil, []byte(`{"usernames":["a",`), nil)
				e.must(e.Rejected(ctx, spec.RuleErrJSONParse, r, err, 400, "json_parse"))
			},
			g.Entry("set status", "POST", "/users/{u}/presence/web_1/1"),
			g.Entry("subscribe", "POST", "/users/{u}/presence/60"),
			g.Entry("batch get", "POST", "/users/{u}/presence"),
			g.Entry("unsubscribe", "DELETE", "/users/{u}/presence"),
		)

		// Probes record what the documents leave open; they never fail the
		// gate beyond an answer that breaks the schema.
		g.It("PROBE: records the answer to an unsupported method", rules(spec.RuleErrMethod), func(ctx g.SpecContext) {
			r, err := e.Client.Do(ctx, http.MethodPut, "/users/"+e.User("err")+"/presence", nil, []byte(`{}`), nil)
			e.must(err)
			g.AddReportEntry("probe", "PUT answered "+itoa(int64(r.Status)), g.ReportEntryVisibilityFailureOrVerbose)
		})
		g.It("PROBE: records the answer to a body that is not application/json", rules(spec.RuleErrMediaType), func(ctx g.SpecContext) {
			r, err := e.Client.Do(ctx, http.MethodPost, "/users/"+e.User("err")+"/presence", nil, []byte(`{"usernames":["a"]}`),
				http.Header{"Content-Type": {"text/plain"}})
			e.must(err)
			g.AddReportEntry("probe", "text/plain answered "+itoa(int64(r.Status)), g.ReportEntryVisibilityFailureOrVerbose)
		})
		g.It("PROBE: records the answer to an oversized body", rules(spec.RuleErrBodyLimit), func(ctx g.SpecContext) {
			body := []byte(`{"usernames":["` + string(bytes.Repeat([]byte("x"), 1<<20)) + `"]}`)
			r, err := e.Client.Do(ctx, http.MethodPost, "/users/"+e.User("err")+"/presence", nil, body, nil)
			observed := "connection closed"
			if err == nil {
				observed = "1 MiB body answered " + itoa(int64(r.Status))
			}
			g.AddReportEntry("probe", observed, g.ReportEntryVisibilityFailureOrVerbose)
		})
		// Serial: the burst would throttle specs running beside it.
		g.It("PROBE: records whether a burst meets the rate limit", rules(spec.RuleRateLimit), g.Serial, func(ctx g.SpecContext) {
			// Bounded: 30 requests, the second vendor's default being 20 per
			// 5 s. A burst: sent at once, neither paced nor retried.
			type answer struct {
				r   *client.Response
				err error
			}
			answers := make([]answer, 30)
			var wg sync.WaitGroup
			for i := range answers {
				wg.Go(func() {
					_, r, err := e.Client.ListSubscriptions(ctx, e.User("rate"), subQuery("1", "1"), client.WithoutPacing(), client.WithoutRetry())
					answers[i] = answer{r, err}
				})
			}
			wg.Wait()
			limited := 0
			for _, a := range answers {
				e.must(e.Valid(ctx, spec.RuleRateLimit, a.r, a.err))
				if a.r.Status == http.StatusTooManyRequests {
					limited++
				}
			}
			g.AddReportEntry("probe", itoa(int64(limited))+" of 30 requests answered 429", g.ReportEntryVisibilityFailureOrVerbose)
		})
	})
}
