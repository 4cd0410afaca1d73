package loadgen

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/presencekit/presencekit/client"
)

// ErrPreflight is wrapped by Run's errors when the one request sent before
// the run shows it cannot measure anything: the target is unreachable,
// refuses the credentials, or does not know the org/app. Nothing was
// measured; a CLI exits 2.
var ErrPreflight = errors.New("preflight")

// ErrRunFailed is wrapped by Run's error when the run (or its setup phase)
// completed with more than MaxErrorRate of its requests failing. The
// results are returned with it.
var ErrRunFailed = errors.New("run failed")

// preflight sends one authenticated read (the first acting user's
// subscription list) the way the run will, and turns what only a broken
// setup explains into an ErrPreflight that says what is wrong.
func (r *run) preflight(ctx context.Context) error {
	w := &r.cfg.Workload
	var req request
	w.newBuilder().build(OpSublist, 0, w.Shard.User(0), &req)
	s := r.pool.newSender()
	var ex exchange
	auth := r.tokens.current()
	err := s.send(&req, auth, r.cfg.Timeout, &ex)
	if err == nil && ex.status == http.StatusUnauthorized && r.tokens.renewable() && r.tokens.refused(ctx, auth) == nil {
		err = s.send(&req, r.tokens.current(), r.cfg.Timeout, &ex)
	}
	what := fmt.Sprintf("%s %s", req.Method, req.URI)
	switch {
	case err != nil:
		red := client.NewRedactor(r.cfg.Token, r.cfg.ClientSecret)
		return fmt.Errorf("%w: target %s unreachable (%s): %s: %s", ErrPreflight, red.URL(r.cfg.Target), classify(err), what, red.Error(err))
	case ex.status == http.StatusUnauthorized || ex.status == http.StatusForbidden:
		return fmt.Errorf("%w: the server refused %s: %s answered %d %s", ErrPreflight, r.credential(), what, ex.status, client.ErrorCode(ex.body))
	case ex.status == http.StatusNotFound:
		return fmt.Errorf("%w: %s answered 404 %s: is org %q / app %q (and the target's path) right?",
			ErrPreflight, what, client.ErrorCode(ex.body), r.cfg.Org, r.cfg.App)
	}
	return nil
}

// credential names the credential in use, never its value.
func (r *run) credential() string {
	switch {
	case r.cfg.Token != "":
		return "the given token"
	case r.cfg.ClientID != "":
		return fmt.Sprintf("the token fetched for client ID %q", r.cfg.ClientID)
	}
	return "a request without a token (none given)"
}

// failedShare returns an ErrRunFailed when more than maxRate of the
// requests in parts (operations of one phase, or of each of its
// intervals) failed, naming the commonest kinds of failure. It reads the
// counters only, so a phase's intervals need no merging (and their
// histograms no decoding) to be judged.
func failedShare(phase string, maxRate float64, parts ...map[string]*OpInterval) error {
	var count, failed uint64
	kinds := map[string]uint64{}
	for _, ops := range parts {
		for _, o := range ops {
			count += o.Count
			for k, v := range o.Errors {
				failed += v
				kinds[k] += v
			}
		}
	}
	if count == 0 {
		return fmt.Errorf("%w: %s: no request completed", ErrRunFailed, phase)
	}
	share := float64(failed) / float64(count)
	if share <= maxRate {
		return nil
	}
	top := slices.SortedFunc(maps.Keys(kinds), func(a, b string) int {
		return cmp.Or(cmp.Compare(kinds[b], kinds[a]), strings.Compare(a, b))
	})
	if len(top) > 3 {
		top = top[:3]
	}
	desc := ""
	for i, k := range top {
		if i > 0 {
			desc += ", "
		}
		desc += fmt.Sprintf("%s=%d", k, kinds[k])
	}
	return fmt.Errorf("%w: %s: %d of %d requests failed (%.1f%%, above the %.0f%% allowed): %s",
		ErrRunFailed, phase, failed, count, 100*share, 100*maxRate, desc)
}
