// A Go program that writes its own CPU profile (runtime/pprof), for
// tests/e2e/test_formats.sh: tprof reads it as go tool pprof does.
// usage: go run cpu.go OUT.pb.gz SECONDS
package main

import (
	"os"
	"runtime/pprof"
	"strconv"
	"time"
)

var sink uint64

//go:noinline
func spin(n int) {
	x := sink
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink = x
}

//go:noinline
func alpha() { spin(200000) }

//go:noinline
func beta() { spin(100000) }

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	secs, _ := strconv.ParseFloat(os.Args[2], 64)
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	end := time.Now().Add(time.Duration(secs * float64(time.Second)))
	for time.Now().Before(end) {
		alpha()
		beta()
	}
	pprof.StopCPUProfile()
	f.Close()
}
