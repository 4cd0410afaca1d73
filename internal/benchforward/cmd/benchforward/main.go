// Command benchforward serves a non-validating reverse proxy
// (benchforward.Serve) on a loopback address for bench/prism.sh, printing
// the bound address, until SIGINT or SIGTERM or -for has passed.
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

	"github.com/presencekit/presencekit/internal/benchforward"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	target := flag.String("target", "", "host:port to forward every request to")
	engine := flag.String("engine", string(benchforward.NetHTTP), "HTTP stack: net/http or fasthttp")
	life := flag.Duration("for", 10*time.Minute, "stop after this long, whatever happens")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *life)
	defer cancel()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchforward:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	if err := benchforward.Serve(ctx, ln, *target, benchforward.Engine(*engine)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
