// Command benchtarget serves benchtarget.Handler on a loopback address for
// bench/loadgen.sh, printing the bound address, until SIGINT or SIGTERM or
// -for has passed.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/presencekit/presencekit/internal/benchtarget"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	life := flag.Duration("for", 10*time.Minute, "stop after this long, whatever happens")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *life)
	defer cancel()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtarget:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	if err := benchtarget.Serve(ctx, ln); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
