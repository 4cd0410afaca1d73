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
	"time"

	"github.com/presencekit/presencekit/internal/benchforward"
	"github.com/presencekit/presencekit/internal/benchtarget"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	target := flag.String("target", "", "host:port to forward every request to")
	engine := flag.String("engine", string(benchforward.NetHTTP), "HTTP stack: net/http or fasthttp")
	life := flag.Duration("for", 10*time.Minute, "stop after this long, whatever happens")
	flag.Parse()
	err := benchtarget.Main(*addr, *life, func(ctx context.Context, ln net.Listener) error {
		return benchforward.Serve(ctx, ln, *target, benchforward.Engine(*engine))
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // it names the package, or the address not listened on
		os.Exit(1)
	}
}
