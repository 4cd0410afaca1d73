package suites

import (
	"errors"
	"sync"
)

// fanOutLimit is how many requests of one spec are in flight at once when
// their order does not matter: the pacer still bounds the rate, but a
// spec that sends dozens of independent requests (SUB-CAP's batches,
// cleanup) is not one round trip at a time against a distant tenant.
const fanOutLimit = 4

// fanOut runs fn(0..n-1) with at most fanOutLimit at once and joins their
// errors. fn must not call Ginkgo or Gomega: it runs off the spec's
// goroutine.
func fanOut(n int, fn func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, fanOutLimit)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = fn(i)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
