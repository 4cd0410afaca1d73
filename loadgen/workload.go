package loadgen

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/presencekit/presencekit/spec"
)

// Workload defaults, used by DefaultWorkload.
const (
	// DefaultUsers is the population size: big enough for realistic Zipf
	// skew, small enough that the setup phase takes seconds.
	DefaultUsers = 10000
	// DefaultUserPrefix names load users apart from real ones.
	DefaultUserPrefix = "pkload_"
	// DefaultZipf is the Zipf exponent s of target popularity (s > 1);
	// 1.1 gives the long-tailed "a few celebrities" shape of social graphs.
	DefaultZipf = 1.1
	// DefaultBatchMin and DefaultBatchMax bound the users per batch request.
	DefaultBatchMin = 1
	// DefaultBatchMax: see DefaultBatchMin.
	DefaultBatchMax = 20
	// DefaultGroups is how many group IDs getGroupOnlineCount spreads over.
	DefaultGroups = 100
	// DefaultSetupSubs is how many subscriptions each acting user gets in
	// the setup phase, so sublist and unsubscribe find something.
	DefaultSetupSubs = 10
)

// Workload is the model of a presence app's traffic. It is immutable once
// Validate has passed and safe to share; each goroutine builds requests
// with its own builder.
type Workload struct {
	// Users is the population; user k is named UserPrefix+k.
	Users      int
	UserPrefix string
	// Zipf is the exponent s (> 1) of target popularity: user 0 is the most
	// popular target, user k is about (k+1)^-s as popular.
	Zipf float64
	// Mix weighs the operations.
	Mix Mix
	// Batch is the range of users per batch request; each operation's
	// range is clamped to the contract's limit for it.
	Batch Range
	// Groups is the number of group IDs asked for online counts.
	Groups int
	// SetupSubs is the subscriptions per acting user in the setup phase.
	SetupSubs int
	// Limits are the contract's limits (spec.Doc.Limits): batches, expiry,
	// page sizes, ext length and query types never leave them.
	Limits spec.Limits
	// Shard partitions the acting users between generators.
	Shard Shard
	// Seed makes the request stream reproducible.
	Seed uint64
	// PathPrefix is the escaped path up to and including /{org}/{app}.
	PathPrefix string
	// Walks makes some first-page sublist reads full walks (every page, in
	// order, by one worker), so --verify can check that pages are disjoint
	// and complete. Off, the request stream is as without --verify.
	Walks bool

	// zipf draws targets by popularity; built by Validate and shared
	// read-only by every builder.
	zipf *zipfTable
}

// DefaultWorkload returns the default model for the given limits.
func DefaultWorkload(limits spec.Limits) Workload {
	m, _ := ParseMix(DefaultMix) // a constant known to parse
	return Workload{
		Users: DefaultUsers, UserPrefix: DefaultUserPrefix, Zipf: DefaultZipf, Mix: m,
		Batch: Range{DefaultBatchMin, DefaultBatchMax}, Groups: DefaultGroups,
		SetupSubs: DefaultSetupSubs, Limits: limits, Seed: 1, PathPrefix: "/org/app",
	}
}

// pathPrefixFor returns the escaped path prefix of an {org}/{app} under a
// base URL's path, as Workload.PathPrefix wants it.
func pathPrefixFor(basePath, org, app string) string {
	return strings.TrimRight(basePath, "/") + "/" + url.PathEscape(org) + "/" + url.PathEscape(app)
}

// tenantPathPrefix is pathPrefixFor under the spec's tenant prefix (e.g.
// Shengwang's /app-id/{app_id}); a zero tenant is the default one.
func tenantPathPrefix(basePath string, t spec.Tenant, org, app string) string {
	if len(t.Segments) == 0 {
		return pathPrefixFor(basePath, org, app)
	}
	return strings.TrimRight(basePath, "/") + t.Path(org, app)
}

// Validate checks the model against itself and the contract, and builds
// its sampling tables.
func (w *Workload) Validate() error {
	if err := w.check(); err != nil {
		return err
	}
	if w.PathPrefix == "" || w.PathPrefix[0] != '/' {
		return fmt.Errorf("%w: workload: path prefix %q must start with /", ErrConfig, w.PathPrefix)
	}
	w.zipf = newZipfTable(w.Users, w.Zipf)
	return nil
}

// check is Validate without the tables, for Config.Check before a run.
func (w *Workload) check() error {
	l := w.Limits
	switch {
	case w.Users < 2:
		return bad("Workload.Users", w.Users, "want at least 2 (nobody subscribes to themself)")
	case !(w.Zipf > 1) || math.IsInf(w.Zipf, 0):
		return bad("Workload.Zipf", w.Zipf, "want an exponent greater than 1")
	case w.Batch.Min < 1 || w.Batch.Max < w.Batch.Min:
		return bad("Workload.Batch", w.Batch, "want 1 <= min <= max")
	case w.Groups < 1:
		return bad("Workload.Groups", w.Groups, "want at least 1")
	case w.SetupSubs < 0:
		return bad("Workload.SetupSubs", w.SetupSubs, "want 0 (no setup) or more")
	case l.SubscribeMaxUsers < 1 || l.GetMaxUsers < 1 || l.UnsubscribeMaxUsers < 1:
		return fmt.Errorf("%w: workload: the spec's user-list limits are missing (%+v)", ErrConfig, l)
	case l.PageSizeMax < 1 || l.ExpiryMax < 1 || (len(l.QueryTypes) == 0 && w.Mix[OpGroup] > 0):
		return fmt.Errorf("%w: workload: the spec's page, expiry or query_type limits are missing", ErrConfig)
	}
	total := 0
	for _, v := range w.Mix {
		if v < 0 {
			return bad("Workload.Mix", w.Mix, "want weights >= 0")
		}
		total += v
	}
	if total == 0 {
		return bad("Workload.Mix", w.Mix, "want at least one positive weight")
	}
	if s := w.Shard.norm(); s.Index < 0 || s.Index >= s.Count || s.Size(w.Users) == 0 {
		return bad("Workload.Shard", s, fmt.Sprintf("acts for nobody of %d users", w.Users))
	}
	return nil
}

// batchLimit is the contract's cap on an operation's user list, further
// capped by the population (targets are distinct and never the actor).
func (w *Workload) batchRange(o Op) Range {
	lim := w.Users - 1
	switch o {
	case OpGet:
		lim = min(lim, w.Limits.GetMaxUsers)
	case OpSub:
		lim = min(lim, w.Limits.SubscribeMaxUsers)
	case OpUnsub:
		lim = min(lim, w.Limits.UnsubscribeMaxUsers)
	}
	lo := max(min(w.Batch.Min, lim), max(w.Limits.MinUsers, 1))
	return Range{min(lo, lim), max(min(w.Batch.Max, lim), min(lo, lim))}
}

// request is one prepared request: everything the sender needs, as bytes
// built before the send time so building never delays a send.
type request struct {
	Op  Op
	Seq uint64
	// Method is one of the net/http method constants.
	Method string
	// URI is the escaped path and query.
	URI []byte
	// Body is the JSON body; nil for GET.
	Body []byte
	// JSON says to send Content-Type: application/json (every body, and
	// listSubscriptions, whose document lists it as required on a GET).
	JSON bool

	// What the request says, as --verify's model reads it (verify.go):
	// the acting user; the targets of a batch, in request order; a set's
	// resource (index into resources), status and ext (a slice of Body);
	// a subscribe's relative expiry; a sublist's page and page size, and
	// whether it starts a walk of every page.
	Actor      int32
	Targets    []int32
	Res        int8
	Status     string
	Ext        []byte
	Expiry     int64
	Page, Size int
	Walk       bool
}

// builder builds the workload's requests into reusable buffers. It is not
// safe for concurrent use: give each goroutine its own (newBuilder).
type builder struct {
	w      *Workload
	pcg    *rand.PCG
	r      *rand.Rand
	zipf   *zipfTable  // the Workload's, shared
	cum    [NumOps]int // cumulative mix weights
	total  int
	picked []int // targets of the current batch, for dedup
	prefix string
	user   string // JSON-escaped UserPrefix without quotes
	userP  string // path-escaped UserPrefix
}

// newBuilder returns a builder. The Workload must have passed Validate.
func (w *Workload) newBuilder() *builder {
	b := &builder{w: w, pcg: rand.NewPCG(w.Seed, 0), prefix: w.PathPrefix}
	b.r = rand.New(b.pcg)
	b.zipf = w.zipf
	if b.zipf == nil || len(b.zipf.prob) != w.Users {
		b.zipf = newZipfTable(w.Users, w.Zipf) // Validate was skipped: build it here
	}
	for o := Op(0); o < NumOps; o++ {
		b.total += w.Mix[o]
		b.cum[o] = b.total
	}
	q, _ := json.Marshal(w.UserPrefix) // a string always marshals
	b.user = string(q[1 : len(q)-1])
	b.userP = url.PathEscape(w.UserPrefix)
	return b
}

// Build fills dst with request number seq of the stream. The result
// depends only on the Workload and seq, never on which goroutine builds it
// or in what order, which is what makes a seed reproduce a run.
func (b *builder) Build(seq uint64, dst *request) {
	s := b.w.Shard.norm()
	// Interleave the shards' sequences so two shards never share a stream.
	b.pcg.Seed(b.w.Seed, seq*uint64(s.Count)+uint64(s.Index))
	pick := b.r.IntN(b.total)
	op := Op(0)
	for pick >= b.cum[op] {
		op++
	}
	actor := s.User(b.r.IntN(s.Size(b.w.Users)))
	b.build(op, seq, actor, dst)
}

// SetupSize is how many requests the setup phase sends: one subscribe per
// acting user, none when SetupSubs is zero.
func (w *Workload) SetupSize() int {
	if w.SetupSubs == 0 {
		return 0
	}
	return w.Shard.Size(w.Users)
}

// BuildSetup fills dst with setup request k: acting user k subscribes to
// SetupSubs Zipf-popular targets, building the subscription graph the
// measured phase reads and changes.
func (b *builder) BuildSetup(k int, dst *request) {
	s := b.w.Shard.norm()
	// A second stream, apart from Build's: the high bit never occurs there
	// for realistic sequence numbers.
	b.pcg.Seed(b.w.Seed^0x9e3779b97f4a7c15, uint64(s.User(k)))
	actor := s.User(k)
	n := min(b.w.SetupSubs, b.w.Limits.SubscribeMaxUsers, b.w.Users-1)
	dst.Op, dst.Seq, dst.Method, dst.JSON = OpSub, uint64(k), "POST", true
	dst.Actor, dst.Walk = int32(actor), false
	dst.URI = b.userPath(dst.URI[:0], actor)
	dst.URI = append(dst.URI, '/')
	dst.Expiry = b.expiry()
	dst.URI = strconv.AppendInt(dst.URI, dst.Expiry, 10)
	dst.Body = b.userList(append(dst.Body[:0], `{"usernames":`...), actor, n)
	dst.Body = append(dst.Body, '}')
	dst.Targets = b.targets(dst.Targets)
}

func (b *builder) build(op Op, seq uint64, actor int, dst *request) {
	dst.Op, dst.Seq, dst.JSON = op, seq, true
	dst.Actor, dst.Walk = int32(actor), false
	dst.Body = dst.Body[:0]
	uri := dst.URI[:0]
	switch op {
	case OpGet:
		dst.Method = "POST"
		uri = b.userPath(uri, actor)
		dst.Body = b.userList(append(dst.Body, `{"usernames":`...), actor, b.batch(op))
		dst.Body = append(dst.Body, '}')
		dst.Targets = b.targets(dst.Targets)
	case OpSet:
		dst.Method = "POST"
		uri = b.userPath(uri, actor)
		uri = append(uri, '/')
		typ, id := b.r.IntN(4), b.r.IntN(3)
		dst.Res = int8(typ*3 + id)
		uri = append(uri, resources[dst.Res]...)
		uri = append(uri, '/')
		dst.Status = status(b.r.IntN(100))
		uri = append(uri, dst.Status...)
		dst.Body = b.ext(append(dst.Body, `{"ext":"`...))
		dst.Ext = dst.Body[len(`{"ext":"`):]
		dst.Body = append(dst.Body, `"}`...)
	case OpSub:
		dst.Method = "POST"
		uri = b.userPath(uri, actor)
		uri = append(uri, '/')
		dst.Expiry = b.expiry()
		uri = strconv.AppendInt(uri, dst.Expiry, 10)
		dst.Body = b.userList(append(dst.Body, `{"usernames":`...), actor, b.batch(op))
		dst.Body = append(dst.Body, '}')
		dst.Targets = b.targets(dst.Targets)
	case OpSublist:
		dst.Method = "GET"
		uri = b.userPath(uri, actor)
		uri = append(uri, "/sublist?pageNum="...)
		pn := max(b.w.Limits.PageNumMin, 1)
		if b.r.IntN(5) == 0 { // most apps read the first page only
			pn += 1 + b.r.IntN(2)
		}
		uri = strconv.AppendInt(uri, int64(pn), 10)
		uri = append(uri, "&pageSize="...)
		sizes := [...]int{20, 50, 100}
		ps := max(min(sizes[b.r.IntN(len(sizes))], b.w.Limits.PageSizeMax), b.w.Limits.PageSizeMin, 1)
		if b.w.Walks && pn == max(b.w.Limits.PageNumMin, 1) && b.r.IntN(3) == 0 {
			// A walk reads small pages, so it spans several.
			dst.Walk, ps = true, max(min(walkPageSize, b.w.Limits.PageSizeMax), b.w.Limits.PageSizeMin, 1)
		}
		uri = strconv.AppendInt(uri, int64(ps), 10)
		dst.Page, dst.Size = int(pn), ps
		dst.Body = nil
	case OpUnsub:
		dst.Method = "DELETE"
		uri = b.userPath(uri, actor)
		// Both body forms are valid; the vendor's SDK sends the bare array.
		if b.r.IntN(10) < 3 {
			dst.Body = b.userList(dst.Body, actor, b.batch(op))
		} else {
			dst.Body = b.userList(append(dst.Body, `{"users":`...), actor, b.batch(op))
			dst.Body = append(dst.Body, '}')
		}
		dst.Targets = b.targets(dst.Targets)
	case OpGroup:
		dst.Method, dst.JSON = "GET", false
		uri = append(uri, b.prefix...)
		uri = append(uri, "/presence/online/"...)
		uri = append(uri, b.userP...)
		uri = append(uri, "group"...)
		uri = strconv.AppendInt(uri, int64(b.r.IntN(b.w.Groups)), 10)
		uri = append(uri, "/type/"...)
		qt := b.w.Limits.QueryTypes[0]
		if slices.Contains(b.w.Limits.QueryTypes, 1) { // the documented value
			qt = 1
		}
		uri = strconv.AppendInt(uri, qt, 10)
		dst.Body = nil
	}
	dst.URI = uri
}

func (b *builder) userPath(uri []byte, u int) []byte {
	uri = append(uri, b.prefix...)
	uri = append(uri, "/users/"...)
	uri = append(uri, b.userP...)
	uri = strconv.AppendInt(uri, int64(u), 10)
	return append(uri, "/presence"...)
}

// targets copies the last user list's targets into dst.
func (b *builder) targets(dst []int32) []int32 {
	dst = dst[:0]
	for _, t := range b.picked {
		dst = append(dst, int32(t))
	}
	return dst
}

func (b *builder) batch(o Op) int {
	r := b.w.batchRange(o)
	return r.Min + b.r.IntN(r.Max-r.Min+1)
}

// userList appends a JSON array of n distinct Zipf-popular targets other
// than actor.
func (b *builder) userList(dst []byte, actor, n int) []byte {
	b.picked = b.picked[:0]
	dst = append(dst, '[')
	add := func(t int) {
		if t == actor || slices.Contains(b.picked, t) {
			return
		}
		b.picked = append(b.picked, t)
		if len(b.picked) > 1 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, b.user...)
		dst = strconv.AppendInt(dst, int64(t), 10)
		dst = append(dst, '"')
	}
	for tries := 0; len(b.picked) < n && tries < 8*n+16; tries++ {
		add(b.popular())
	}
	// The Zipf head is small; top up with uniform picks if it ran dry.
	for len(b.picked) < n {
		add(b.r.IntN(b.w.Users))
	}
	return append(dst, ']')
}

// expiry is a subscription length: an hour to a day, inside the contract.
func (b *builder) expiry() int64 {
	lo := max(b.w.Limits.ExpiryMin, 1)
	hi := b.w.Limits.ExpiryMax
	lo, hi = min(max(lo, 3600), hi), min(hi, 86400)
	if hi < lo {
		hi = lo
	}
	return lo + b.r.Int64N(hi-lo+1)
}

// ext appends an extension text of a realistic length, within the limit.
func (b *builder) ext(dst []byte) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 "
	n := 4 + b.r.IntN(60)
	if lim := b.w.Limits.ExtMaxBytes; lim > 0 {
		n = min(n, lim)
	}
	for range n {
		dst = append(dst, alphabet[b.r.IntN(len(alphabet))])
	}
	return dst
}

// walkPageSize is the page size of a sublist walk.
const walkPageSize = 10

// resources are the device resources a set names: four types, three
// devices each; request.Res indexes it.
var resources = [...]string{
	"android_1", "android_2", "android_3", "ios_1", "ios_2", "ios_3",
	"web_1", "web_2", "web_3", "pc_1", "pc_2", "pc_3",
}

// status draws a status: mostly online and offline, some custom ones.
func status(p int) string {
	switch {
	case p < 45:
		return "1"
	case p < 80:
		return "0"
	case p < 88:
		return "busy"
	case p < 95:
		return "away"
	}
	return "dnd"
}

// zipfTable draws targets 0..n-1 by a Zipf law: target k weighs (k+1)^-s,
// the law math/rand/v2's Zipf draws with v = 1. It is Vose's alias table:
// a draw is one uniform index and one uniform float, where rand.Zipf pays
// a logarithm and an exponential per draw on the hot path.
type zipfTable struct {
	prob  []float64 // chance to keep column k rather than take alias[k]
	alias []int32
}

func newZipfTable(n int, s float64) *zipfTable {
	w := make([]float64, n)
	sum := 0.0
	for k := range w {
		w[k] = math.Pow(float64(k+1), -s)
		sum += w[k]
	}
	t := &zipfTable{prob: make([]float64, n), alias: make([]int32, n)}
	small, large := make([]int32, 0, n), make([]int32, 0, n)
	for k := range w {
		w[k] *= float64(n) / sum // mean 1
		if w[k] < 1 {
			small = append(small, int32(k))
		} else {
			large = append(large, int32(k))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		l, g := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		t.prob[l], t.alias[l] = w[l], g
		w[g] -= 1 - w[l]
		if w[g] < 1 {
			large = large[:len(large)-1]
			small = append(small, g)
		}
	}
	for _, k := range append(small, large...) { // rounding leftovers
		t.prob[k], t.alias[k] = 1, k
	}
	return t
}

// popular draws a target by Zipf popularity.
func (b *builder) popular() int {
	k := b.r.IntN(len(b.zipf.prob))
	if b.r.Float64() < b.zipf.prob[k] {
		return k
	}
	return int(b.zipf.alias[k])
}
