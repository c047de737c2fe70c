// Command ecssim runs the ECS rollout simulator in front of a moto_server. See
// e2e/ecssim/README.md for what it does.
//
//	ecssim -listen 127.0.0.1:4567 -moto http://127.0.0.1:5000 [-step 3s] [-failure-threshold 0] [-health-grace 0]
//	       [-throttle-ratio 0] [-throttle-ops DescribeServices,...] [-latency 0] [-seed N]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/shipit-dev/shipit/e2e/ecssim"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ecssim:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	def := ecssim.DefaultSettings()
	fs := flag.NewFlagSet("ecssim", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:4567", "address to serve on; loopback only (port 0 picks a free one)")
	moto := fs.String("moto", "http://127.0.0.1:5000", "moto_server base URL")
	step := fs.Duration("step", def.Step, "duration of one rollout phase (PENDING→RUNNING, stopping, completing)")
	threshold := fs.Int("failure-threshold", def.FailureThreshold, "failed tasks that trip the circuit breaker; 0 = ECS's rule (half the desired count, 3..200)")
	grace := fs.Duration("health-grace", 0, "how long a task runs before it counts as healthy (health-check grace period)")
	ratio := fs.Float64("throttle-ratio", 0, "share of AWS calls answered with ThrottlingException, 0..1")
	ops := fs.String("throttle-ops", "", "comma-separated operations to throttle (default: all)")
	latency := fs.Duration("latency", 0, "latency added to every AWS call")
	seed := fs.Uint64("seed", 0, "seed for deployment/task/event ids (0: random)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := loopbackOnly(*listen); err != nil {
		return err
	}

	settings := ecssim.Settings{
		Step:             *step,
		FailureThreshold: *threshold,
		HealthGrace:      *grace,
		ThrottleRatio:    *ratio,
		Latency:          *latency,
	}
	if *ops != "" {
		settings.ThrottleOps = strings.Split(*ops, ",")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	sim, err := ecssim.New(ecssim.Config{MotoURL: *moto, Settings: settings, Logger: log, Seed: *seed})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	// The resolved address is logged so a script that asked for port 0 can read it back.
	log.Info("ecssim listening", "url", "http://"+ln.Addr().String(), "moto", *moto, "settings", settings)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("ecssim stopping")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loopbackOnly refuses to serve beyond this machine: the simulator has no authentication and
// its control endpoint wipes state.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-listen %q: bind to a loopback address such as 127.0.0.1", addr)
	}
	return nil
}
