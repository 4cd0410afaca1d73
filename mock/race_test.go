package mock

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
)

// TestConcurrentInvariants has goroutines subscribe, unsubscribe, page, set
// and get at once on shared subscribers (run it with -race). Each goroutine
// owns its targets, so the final state is known: no subscription lost or
// duplicated, totalnum equal to the entries across all pages, the cap held.
func TestConcurrentInvariants(t *testing.T) {
	const workers, ops, subscribers = 8, 150, 3
	for _, capN := range []int{testDoc(t).Limits().MaxSubscriptions, 40} {
		t.Run("cap="+strconv.Itoa(capN), func(t *testing.T) {
			s := newTest(t, func(c *Config) { c.MaxSubscriptions = capN })
			want := make([]map[string]bool, subscribers) // union of the workers' final sets
			var mu sync.Mutex
			for i := range want {
				want[i] = map[string]bool{}
			}
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(w), 7))
					mine := make([]map[string]bool, subscribers)
					for i := range mine {
						mine[i] = map[string]bool{}
					}
					for range ops {
						sub := rng.IntN(subscribers)
						me := "s" + strconv.Itoa(sub)
						target := fmt.Sprintf("w%d-t%d", w, rng.IntN(12))
						switch rng.IntN(6) {
						case 0, 1:
							subscribe(t, s, me, "3600", target)
							mine[sub][target] = true
						case 2:
							call(t, s, "DELETE", base+"/users/"+me+"/presence", `["`+target+`"]`)
							delete(mine[sub], target)
						case 3:
							r, p := sublist(t, s, me, "?pageNum="+strconv.Itoa(1+rng.IntN(3))+"&pageSize=7")
							n, _ := strconv.Atoi(p.Total)
							if r.Status != 200 || len(p.UIDs) > 7 || n > capN {
								t.Errorf("sublist %d: %d entries, totalnum %d", r.Status, len(p.UIDs), n)
							}
						case 4:
							set(t, s, target, "web_1", strconv.Itoa(rng.IntN(2)), "x")
						case 5:
							get(t, s, me, target, "s0")
						}
					}
					mu.Lock()
					for i := range mine {
						for k := range mine[i] {
							want[i][k] = true
						}
					}
					mu.Unlock()
				})
			}
			wg.Wait()

			var total int64
			for i := range subscribers {
				me := "s" + strconv.Itoa(i)
				var got []string
				var totalnum string
				for n := 1; ; n++ {
					_, p := sublist(t, s, me, "?pageSize=9&pageNum="+strconv.Itoa(n))
					totalnum = p.Total
					if len(p.UIDs) == 0 {
						break
					}
					got = append(got, p.UIDs...)
				}
				if strconv.Itoa(len(got)) != totalnum {
					t.Errorf("%s: totalnum %s, pages hold %d", me, totalnum, len(got))
				}
				if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
					t.Errorf("%s: pages not sorted or duplicated: %v", me, got)
				}
				if len(got) > capN {
					t.Errorf("%s: %d subscriptions, cap %d", me, len(got), capN)
				}
				for _, g := range got {
					if !want[i][g] {
						t.Errorf("%s: %s listed but unsubscribed by its owner", me, g)
					}
				}
				if capN >= workers*12 && len(got) != len(want[i]) {
					t.Errorf("%s: %d listed, want %d (lost subscriptions)", me, len(got), len(want[i]))
				}
				total += int64(len(got))
			}
			if s.Subscriptions() != total {
				t.Errorf("gauge %d, listed %d", s.Subscriptions(), total)
			}
		})
	}
}
