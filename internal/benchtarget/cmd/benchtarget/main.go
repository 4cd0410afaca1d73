// Command benchtarget serves benchtarget.Handler on a loopback address for
// bench/loadgen.sh, printing the bound address, until SIGINT or SIGTERM or
// -for has passed.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/presencekit/presencekit/internal/benchtarget"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	life := flag.Duration("for", 10*time.Minute, "stop after this long, whatever happens")
	flag.Parse()
	if err := benchtarget.Main(*addr, *life, benchtarget.Serve); err != nil {
		fmt.Fprintln(os.Stderr, err) // it names the package, or the address not listened on
		os.Exit(1)
	}
}
