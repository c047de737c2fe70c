package ecssim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// controlPrefix is where tests steer the simulator. No AWS API uses this path (JSON and query
// protocols POST to "/", REST APIs start with a version or resource name), so it cannot collide.
const controlPrefix = "/_ecssim/"

func (s *Simulator) control(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + strings.TrimPrefix(r.URL.Path, controlPrefix)
	switch route {
	case "GET healthz":
		writeControl(w, http.StatusOK, obj{"ok": true})
	case "GET config":
		s.mu.Lock()
		st := s.settings
		s.mu.Unlock()
		writeControl(w, http.StatusOK, st)
	case "POST config":
		s.setConfig(w, r)
	case "POST scenario":
		s.setScenario(w, r)
	case "POST reset":
		s.reset(w, r)
	case "GET state":
		s.dumpState(w)
	default:
		writeControl(w, http.StatusNotFound, obj{"error": fmt.Sprintf("no control endpoint %s %s; "+
			"see e2e/ecssim/README.md", r.Method, r.URL.Path)})
	}
}

// setConfig applies a partial settings document, e.g. {"step":"300ms","throttleRatio":0.5}.
func (s *Simulator) setConfig(w http.ResponseWriter, r *http.Request) {
	var patch settingsPatch
	if !decodeControl(w, r, &patch) {
		return
	}
	s.mu.Lock()
	next, err := patch.apply(s.settings)
	if err == nil {
		s.settings = next
		if patch.ThrottleRatio != nil {
			s.throttleAcc = 0 // a new ratio starts its own sequence
		}
	}
	s.mu.Unlock()
	if err != nil {
		writeControl(w, http.StatusBadRequest, obj{"error": err.Error()})
		return
	}
	s.log.Info("settings changed", "settings", next)
	writeControl(w, http.StatusOK, next)
}

// scenarioRequest forces a scenario on a service's next deployments (CreateService or
// UpdateService); "ok" or "" clears it. Account and region default as for AWS calls.
type scenarioRequest struct {
	Account  string `json:"account"`
	Region   string `json:"region"`
	Cluster  string `json:"cluster"`
	Service  string `json:"service"`
	Scenario string `json:"scenario"`
}

func (s *Simulator) setScenario(w http.ResponseWriter, r *http.Request) {
	var req scenarioRequest
	if !decodeControl(w, r, &req) {
		return
	}
	sc, err := parseScenario(req.Scenario)
	if err == nil && req.Service == "" {
		err = fmt.Errorf("service is required")
	}
	if err != nil {
		writeControl(w, http.StatusBadRequest, obj{"error": err.Error()})
		return
	}
	key := svcKey{
		scope:   scope{account: cmp.Or(req.Account, defaultAccount), region: cmp.Or(req.Region, defaultRegion)},
		cluster: clusterName(req.Cluster),
		service: lastSegment(req.Service),
	}
	s.mu.Lock()
	if req.Scenario == "" || sc == scenarioOK {
		delete(s.scenarios, key)
	} else {
		s.scenarios[key] = sc
	}
	s.mu.Unlock()
	s.log.Info("scenario forced", "account", key.account, "region", key.region, "cluster", key.cluster,
		"service", key.service, "scenario", sc)
	writeControl(w, http.StatusOK, obj{"account": key.account, "region": key.region, "cluster": key.cluster,
		"service": key.service, "scenario": sc})
}

// reset forgets every simulated service and forced scenario, restores the start-up settings,
// and wipes moto (all accounts and regions).
func (s *Simulator) reset(w http.ResponseWriter, r *http.Request) {
	err := s.resetMoto(r.Context())
	s.mu.Lock()
	s.wipe()
	s.mu.Unlock()
	if err != nil {
		writeControl(w, http.StatusBadGateway, obj{"error": err.Error()})
		return
	}
	s.log.Info("reset")
	writeControl(w, http.StatusOK, obj{"reset": true})
}

func (s *Simulator) dumpState(w http.ResponseWriter) {
	now := s.now()
	s.mu.Lock()
	rl := s.rules()
	keys := make([]svcKey, 0, len(s.services))
	for k := range s.services {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b svcKey) int {
		return cmp.Or(cmp.Compare(a.account, b.account), cmp.Compare(a.region, b.region),
			cmp.Compare(a.cluster, b.cluster), cmp.Compare(a.service, b.service))
	})
	services := []any{}
	for _, k := range keys {
		srv := s.services[k]
		srv.advance(now, rl)
		services = append(services, srv.stateSnapshot())
	}
	body := obj{"settings": s.settings, "services": services}
	b, err := json.Marshal(body)
	s.mu.Unlock()
	if err != nil {
		writeControl(w, http.StatusInternalServerError, obj{"error": err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields() // a typo in a test's knob should fail loudly, not be ignored
	if err := dec.Decode(v); err != nil {
		writeControl(w, http.StatusBadRequest, obj{"error": "bad JSON: " + err.Error()})
		return false
	}
	return true
}

func writeControl(w http.ResponseWriter, status int, body any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // messages say "step must be > 0", not "\u003e"
	if err := enc.Encode(body); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
