// Package ecssim is an ECS rollout simulator: an HTTP proxy in front of moto_server that
// forwards every AWS call to moto but models ECS service deployments the way real ECS does
// (tasks starting and failing, old deployments draining, the circuit breaker, rollbacks,
// service events), because moto stores services but never runs tasks or moves deployments.
// README.md beside this file documents its behaviour.
package ecssim

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Config sets up a Simulator.
type Config struct {
	// MotoURL is moto_server's base URL, e.g. http://127.0.0.1:5000.
	MotoURL string
	// Settings are the start-up knobs; a zero Step means DefaultSettings().Step.
	Settings Settings
	// Logger receives one line per state change; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Tests pass a manual clock to step rollouts exactly.
	Now func() time.Time
	// Seed makes deployment, task and event ids reproducible; 0 picks a random seed.
	Seed uint64
}

// Simulator is the proxy, an http.Handler.
type Simulator struct {
	moto   *url.URL
	proxy  *httputil.ReverseProxy
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	start  Settings // restored by reset

	mu          sync.Mutex // guards everything below
	settings    Settings
	throttleAcc float64
	services    map[svcKey]*service
	registered  map[string]time.Time // task definition ARN → when it was registered (taskdefs.go)
	scenarios   map[svcKey]scenario  // forced by the control endpoint
	runs        map[runKey]*runTask  // standalone tasks (runtask.go)
	ids         *idGen
	seed        uint64
	logOutbox   []logRecord // container log lines not sent to moto yet (logs.go)

	flushMu sync.Mutex // held while queued log lines are sent to moto (logs.go)
}

// New checks cfg and builds a Simulator.
func New(cfg Config) (*Simulator, error) {
	moto, err := url.Parse(cfg.MotoURL)
	if err != nil || moto.Scheme == "" || moto.Host == "" {
		return nil, fmt.Errorf("ecssim: moto URL %q: want http://HOST:PORT", cfg.MotoURL)
	}
	settings := cfg.Settings
	if settings.Step == 0 {
		settings.Step = DefaultSettings().Step
	}
	if err := settings.Validate(); err != nil {
		return nil, fmt.Errorf("ecssim: %w", err)
	}
	s := &Simulator{
		moto:     moto,
		proxy:    newPassthrough(moto),
		client:   &http.Client{Timeout: 60 * time.Second},
		log:      cfg.Logger,
		now:      cfg.Now,
		start:    settings,
		settings: settings,
		seed:     cfg.Seed,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.seed == 0 {
		s.seed = rand.Uint64()
	}
	s.wipe()
	return s, nil
}

// wipe forgets every service and forced scenario and restores the start-up settings.
// The caller holds s.mu, or s is not shared yet.
func (s *Simulator) wipe() {
	s.settings = s.start
	s.settings.ThrottleOps = append([]string(nil), s.start.ThrottleOps...)
	s.throttleAcc = 0
	s.services = map[svcKey]*service{}
	s.scenarios = map[svcKey]scenario{}
	s.registered = map[string]time.Time{}
	s.runs = map[runKey]*runTask{}
	s.ids = newIDGen(s.seed)
	s.logOutbox = nil
}

// rules snapshots what the state machine needs; the caller holds s.mu.
func (s *Simulator) rules() *rules {
	return &rules{step: s.settings.Step, threshold: s.settings.FailureThreshold, grace: s.settings.HealthGrace, ids: s.ids, log: s.log, logs: &s.logOutbox}
}

// ecsHandlers are the ECS operations the simulator models; every other call goes to moto as is.
var ecsHandlers = map[string]func(*Simulator, http.ResponseWriter, *http.Request, []byte){
	"CreateService":    (*Simulator).createService,
	"UpdateService":    (*Simulator).updateService,
	"DescribeServices": (*Simulator).describeServices,
	"DeleteService":    (*Simulator).deleteService,
	"ListTasks":        (*Simulator).listTasks,
	"DescribeTasks":    (*Simulator).describeTasks,
	// Registration times only (taskdefs.go).
	"RegisterTaskDefinition": (*Simulator).registerTaskDefinition,
	"DescribeTaskDefinition": (*Simulator).describeTaskDefinition,
	"RunTask":                (*Simulator).runTask,
	"StopTask":               (*Simulator).stopTask,
}

// maxECSBody bounds the intercepted request bodies (ECS's own limit is far lower).
const maxECSBody = 10 << 20

func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, controlPrefix):
		s.control(w, r)
		return
	case strings.HasPrefix(r.URL.Path, "/moto-api/"):
		// moto's own API (reset, seed, data.json) is not AWS: no faults, no interception.
		s.proxy.ServeHTTP(w, r)
		return
	}
	if s.injectFaults(w, r) {
		return
	}
	target := r.Header.Get("X-Amz-Target")
	if r.Method == http.MethodPost && strings.HasPrefix(target, logsTargetPrefix) {
		s.logsCall(w, r)
		return
	}
	handler := ecsHandlers[strings.TrimPrefix(target, ecsTargetPrefix)]
	if r.Method != http.MethodPost || !strings.HasPrefix(target, ecsTargetPrefix) || handler == nil {
		s.proxy.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxECSBody))
	if err != nil {
		writeAWSError(w, http.StatusBadRequest, "InvalidParameterException", "ecssim: "+err.Error())
		return
	}
	handler(s, w, r, body)
	s.flushLogs() // the container log lines the call's steps queued
}
