// Command minclient is the yardstick of BenchmarkSendVsMinimalClient: the
// least a Go program can do to send one mTLS GET with crypto/tls and
// net/http. mtlswb send must start and finish within 1.1× of it.
//
// Usage: minclient CERT KEY CA URL
package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: minclient CERT KEY CA URL")
		os.Exit(2)
	}
	cert, err := tls.LoadX509KeyPair(os.Args[1], os.Args[2])
	if err != nil {
		fail(err)
	}
	caPEM, err := os.ReadFile(os.Args[3])
	if err != nil {
		fail(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		fail(fmt.Errorf("%s holds no certificate", os.Args[3]))
	}
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots},
		// mtlswb offers h2 as well, and the server picks it: the same request.
		ForceAttemptHTTP2: true,
	}}
	resp, err := client.Get(os.Args[4])
	if err != nil {
		fail(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		fail(err)
	}
	fmt.Printf("%s (%d bytes)\n", resp.Status, len(body))
	if resp.StatusCode >= 400 {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "minclient:", err)
	os.Exit(1)
}
