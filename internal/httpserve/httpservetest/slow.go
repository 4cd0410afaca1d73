// Package httpservetest holds test helpers for the servers built on
// httpserve: the slow client the mock and the proxy must both cut off.
package httpservetest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// HoldsSlowBody is a test helper shared by the mock's and the proxy's
// tests: it sends addr a request whose body comes one byte every interval
// and reports whether the server was still holding the connection at
// patience (an error) or closed it (nil) — the server's read timeout must
// be well under patience.
func HoldsSlowBody(addr, path string, interval, patience time.Duration) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(patience)); err != nil {
		return err
	}
	head := "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
	if _, err := io.WriteString(conn, head); err != nil {
		return fmt.Errorf("write headers: %w", err)
	}
	closed := make(chan error, 1)
	go func() { _, err := io.Copy(io.Discard, conn); closed <- err }()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case err := <-closed:
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("the server still held the connection after %s", patience)
			}
			return nil // EOF or reset: the server closed it
		case <-tick.C:
			_, _ = conn.Write([]byte(" ")) // the drip; an error means closed, seen by the reader
		}
	}
}
