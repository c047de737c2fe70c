package ecssim

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
)

// The intercepted ECS operations. Each one forwards the call to moto first, so moto's
// validation and typed errors (ClusterNotFoundException, ServiceNotFoundException...) reach
// the client unchanged, then edits moto's answer with the simulated rollout. moto calls are
// made without holding the lock; the state is only touched under it.

// ownedDeploymentKeys are the deployment fields the simulator computes; moto's other
// deployment fields (launchType, networkConfiguration...) are carried over.
var ownedDeploymentKeys = []string{"id", "status", "taskDefinition", "desiredCount", "pendingCount",
	"runningCount", "failedTasks", "createdAt", "updatedAt", "rolloutState", "rolloutStateReason"}

func (s *Simulator) createService(w http.ResponseWriter, r *http.Request, body []byte) {
	req, err := decodeObj(body)
	if err != nil {
		s.forward(w, r, "CreateService", body) // let moto word the complaint
		return
	}
	key := svcKey{scopeOf(r), clusterName(str(req, "cluster")), str(req, "serviceName")}
	s.mu.Lock()
	old := s.services[key]
	s.mu.Unlock()
	if old != nil && !old.deleted {
		// moto silently replaces a service created twice; ECS refuses.
		writeAWSError(w, http.StatusBadRequest, "InvalidParameterException", "Creation of service was not idempotent.")
		return
	}

	rep, resp, ok := s.forwardAndDecode(w, r, "CreateService", withSecurityGroups(req, body))
	if !ok {
		return
	}
	svc := child(resp, "service")
	s.handOverCreateOnly(r, req, svc)
	td := s.resolveTaskDef(r, str(svc, "taskDefinition"))

	now := s.now()
	s.mu.Lock()
	rl := s.rules()
	srv := newService(key, intField(svc, "desiredCount", 0),
		parseDeployConfig(child(req, "deploymentConfiguration")), deploymentFields(svc), now)
	srv.setLaunch(req)
	srv.setConnect(req)
	srv.startDeployment(now, td, s.scenarioFor(key, td), rl)
	srv.schedule(now, rl)
	s.services[key] = srv
	srv.overlay(svc)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, rep.header.Get("x-amzn-RequestId"), resp)
}

// createOnlyKeys are CreateService parameters moto's CreateService ignores (its
// create_service reads neither, and its Service has no such attribute) while its
// UpdateService stores every parameter it is given, these two included.
var createOnlyKeys = []string{"enableExecuteCommand", "enableECSManagedTags"}

// handOverCreateOnly gives moto, through its own UpdateService, the createOnlyKeys a
// CreateService carried, so that moto stores them as ECS does at creation and
// DescribeServices reads them back from moto. svc is moto's answer, updated in place.
func (s *Simulator) handOverCreateOnly(r *http.Request, req, svc obj) {
	up := obj{"cluster": str(req, "cluster"), "service": str(req, "serviceName")}
	for _, k := range createOnlyKeys {
		if v, ok := req[k]; ok {
			up[k] = v
		}
	}
	if len(up) == 2 {
		return
	}
	body, err := json.Marshal(up)
	if err != nil {
		return
	}
	rep, err := s.callMoto(r.Context(), r.Header, "UpdateService", body)
	if err != nil || !rep.ok() {
		s.log.Warn("moto did not take the create-only settings", "err", err)
		return
	}
	if resp, err := decodeObj(rep.body); err == nil {
		for _, k := range createOnlyKeys {
			if v, ok := child(resp, "service")[k]; ok {
				svc[k] = v
			}
		}
	}
}

func (s *Simulator) updateService(w http.ResponseWriter, r *http.Request, body []byte) {
	req, err := decodeObj(body)
	if err != nil {
		s.forward(w, r, "UpdateService", body)
		return
	}
	key := svcKey{scopeOf(r), clusterName(str(req, "cluster")), lastSegment(str(req, "service"))}
	rep, resp, ok := s.forwardAndDecode(w, r, "UpdateService", withSecurityGroups(req, body))
	if !ok {
		return
	}
	svc := child(resp, "service")
	var td *taskDef
	if ref := str(req, "taskDefinition"); ref != "" {
		td = s.resolveTaskDef(r, ref)
	}
	s.mu.Lock()
	known := s.services[key] != nil && !s.services[key].deleted
	current := ""
	if known {
		current = s.services[key].primary().td.arn
	}
	s.mu.Unlock()
	adoptTD := td
	if !known && adoptTD == nil {
		adoptTD = s.resolveTaskDef(r, str(svc, "taskDefinition"))
	}
	// A new deployment on the same task definition (forced, or relaunched for its network and
	// the like) launches new tasks, and ECS checks each launch afresh: a log group created
	// since the last deployment now lets them start (loggroups.go).
	var again *taskDef
	if td == nil && current != "" && (boolField(req, "forceNewDeployment") || slices.ContainsFunc(launchKeys, func(k string) bool { _, set := req[k]; return set })) {
		if fresh := s.resolveTaskDef(r, current); len(fresh.containers) > 0 {
			again = fresh
		}
	}

	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	rl := s.rules()
	restart := false
	srv := s.services[key]
	adopted := srv == nil || srv.deleted
	if srv == nil || srv.deleted {
		// A service the simulator never saw created (made in moto directly, or before a
		// restart): adopt it and roll it out from scratch.
		if adoptTD == nil { // lost a race with a concurrent DeleteService; moto's word will do
			adoptTD = &taskDef{arn: str(svc, "taskDefinition"), family: lastSegment(str(svc, "taskDefinition"))}
		}
		srv = newService(key, intField(svc, "desiredCount", 0), parseDeployConfig(nil), deploymentFields(svc), now)
		srv.startDeployment(now, adoptTD, s.scenarioFor(key, adoptTD), rl)
		s.services[key] = srv
		restart = true
	}
	srv.advance(now, rl)

	if dc := child(req, "deploymentConfiguration"); dc != nil {
		merged := maps.Clone(srv.config.raw)
		maps.Copy(merged, dc)
		srv.config = parseDeployConfig(merged)
	}
	if _, set := req["desiredCount"]; set && intField(req, "desiredCount", srv.desired) != srv.desired {
		srv.desired = intField(req, "desiredCount", srv.desired)
		restart = true
	}
	srv.fields = deploymentFields(svc)
	srv.setConnect(req)
	// A new task definition, forceNewDeployment, or a change of what the tasks are launched
	// with (network, load balancers, registries, platform, capacity) starts a deployment;
	// the last ones keep the task definition.
	relaunch := srv.setLaunch(req) && !adopted
	if (td != nil && td.arn != srv.primary().td.arn) || boolField(req, "forceNewDeployment") || relaunch {
		if td == nil {
			td = srv.primary().td
			if again != nil && again.arn == td.arn {
				td = again
			}
		}
		srv.startDeployment(now, td, s.scenarioFor(key, td), rl)
		restart = true
	}
	if restart {
		// Count the next step from this call, so "one step after the update" holds exactly.
		srv.schedule(now, rl)
		srv.lastTick = now
	}
	srv.overlay(svc)
	writeJSON(w, http.StatusOK, rep.header.Get("x-amzn-RequestId"), resp)
}

func (s *Simulator) describeServices(w http.ResponseWriter, r *http.Request, body []byte) {
	rep, resp, ok := s.forwardAndDecode(w, r, "DescribeServices", body)
	if !ok {
		return
	}
	sc := scopeOf(r)
	now := s.now()
	s.mu.Lock()
	rl := s.rules()
	for _, v := range list(resp, "services") {
		svc, _ := v.(obj)
		key := svcKey{sc, clusterName(str(svc, "clusterArn")), str(svc, "serviceName")}
		if srv := s.services[key]; srv != nil {
			srv.advance(now, rl)
			srv.overlay(svc)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, rep.header.Get("x-amzn-RequestId"), resp)
}

func (s *Simulator) deleteService(w http.ResponseWriter, r *http.Request, body []byte) {
	req, _ := decodeObj(body)
	rep, resp, ok := s.forwardAndDecode(w, r, "DeleteService", body)
	if !ok {
		return
	}
	key := svcKey{scopeOf(r), clusterName(str(req, "cluster")), lastSegment(str(req, "service"))}
	now := s.now()
	s.mu.Lock()
	if srv := s.services[key]; srv != nil && !srv.deleted {
		rl := s.rules()
		srv.advance(now, rl)
		srv.remove(now, rl)
		svc := child(resp, "service")
		srv.overlay(svc)
		svc["status"] = "DRAINING" // what ECS answers; DescribeServices then shows moto's INACTIVE
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, rep.header.Get("x-amzn-RequestId"), resp)
}

func (s *Simulator) listTasks(w http.ResponseWriter, r *http.Request, body []byte) {
	req, _ := decodeObj(body)
	rep, resp, ok := s.forwardAndDecode(w, r, "ListTasks", body)
	if !ok {
		return
	}
	want := cmp.Or(str(req, "desiredStatus"), statusRunning)
	arns := list(resp, "taskArns")
	s.mu.Lock()
	for _, srv := range s.servicesIn(r, req) {
		if name := str(req, "serviceName"); name != "" && lastSegment(name) != srv.key.service {
			continue
		}
		for _, tk := range srv.tasks {
			if tk.desiredStatus != want ||
				(str(req, "family") != "" && str(req, "family") != tk.dep.td.family) ||
				(str(req, "startedBy") != "" && str(req, "startedBy") != tk.dep.id) ||
				(str(req, "launchType") != "" && str(req, "launchType") != str(tk.dep.fields, "launchType")) {
				continue
			}
			arns = append(arns, tk.arn)
		}
	}
	arns = append(arns, s.runTasksListed(r, req, want)...)
	s.mu.Unlock()
	if arns == nil {
		arns = []any{}
	}
	resp["taskArns"] = arns
	writeJSON(w, http.StatusOK, rep.header.Get("x-amzn-RequestId"), resp)
}

func (s *Simulator) describeTasks(w http.ResponseWriter, r *http.Request, body []byte) {
	req, _ := decodeObj(body)
	rep, resp, ok := s.forwardAndDecode(w, r, "DescribeTasks", body)
	if !ok {
		return
	}
	tasks := []any{}
	for _, t := range list(resp, "tasks") {
		if t, ok := t.(obj); ok {
			tasks = append(tasks, normalizeMotoTask(t))
		}
	}
	found := map[string]bool{}
	s.mu.Lock()
	byID := map[string]obj{}
	for _, srv := range s.servicesIn(r, req) {
		for _, tk := range srv.tasks {
			byID[tk.id] = srv.renderTask(tk)
		}
	}
	runLogs := s.runTasksFor(r, req, byID)
	s.mu.Unlock()
	s.writeRunLogs(r.Context(), r.Header, runLogs)
	for _, ref := range list(req, "tasks") {
		ref, _ := ref.(string)
		if t, ok := byID[lastSegment(ref)]; ok && !found[lastSegment(ref)] {
			tasks = append(tasks, t)
			found[lastSegment(ref)] = true
		}
	}
	failures := []any{}
	for _, f := range list(resp, "failures") {
		if f, ok := f.(obj); !ok || !found[lastSegment(str(f, "arn"))] {
			failures = append(failures, f)
		}
	}
	resp["tasks"], resp["failures"] = tasks, failures
	writeJSON(w, http.StatusOK, rep.header.Get("x-amzn-RequestId"), resp)
}

// servicesIn is every simulated service of the call's account, region and cluster, brought up
// to date, in a stable order. The caller holds s.mu.
func (s *Simulator) servicesIn(r *http.Request, req obj) []*service {
	sc, cluster := scopeOf(r), clusterName(str(req, "cluster"))
	now, rl := s.now(), s.rules()
	var out []*service
	for key, srv := range s.services {
		if key.scope == sc && key.cluster == cluster {
			srv.advance(now, rl)
			out = append(out, srv)
		}
	}
	slices.SortFunc(out, func(a, b *service) int { return cmp.Compare(a.key.service, b.key.service) })
	return out
}

// forward relays a call to moto and moto's answer to the client.
func (s *Simulator) forward(w http.ResponseWriter, r *http.Request, op string, body []byte) {
	rep, err := s.callMoto(r.Context(), r.Header, op, body)
	if err != nil {
		s.motoDown(w, err)
		return
	}
	rep.relay(w)
}

// forwardAndDecode calls moto; on anything but a decodable 200 it has already answered the
// client (moto's own error, or 503 if moto is unreachable) and returns ok=false.
func (s *Simulator) forwardAndDecode(w http.ResponseWriter, r *http.Request, op string, body []byte) (*motoReply, obj, bool) {
	rep, err := s.callMoto(r.Context(), r.Header, op, body)
	if err != nil {
		s.motoDown(w, err)
		return nil, nil, false
	}
	if !rep.ok() {
		rep.relay(w)
		return nil, nil, false
	}
	resp, err := decodeObj(rep.body)
	if err != nil {
		s.log.Warn("moto answer is not JSON; relayed as is", "op", op, "err", err)
		rep.relay(w)
		return nil, nil, false
	}
	return rep, resp, true
}

func (s *Simulator) motoDown(w http.ResponseWriter, err error) {
	s.log.Error("moto unreachable", "err", err)
	writeAWSError(w, http.StatusServiceUnavailable, "ServiceUnavailableException", "ecssim: "+err.Error())
}

// resolveTaskDef fetches the task definition a deployment runs. If moto cannot describe it the
// deployment still proceeds, with no images, hence the "ok" scenario.
func (s *Simulator) resolveTaskDef(r *http.Request, ref string) *taskDef {
	td, err := s.describeTaskDef(r.Context(), r.Header, ref)
	if err != nil {
		s.log.Warn("task definition not described; assuming healthy tasks", "ref", ref, "err", err)
		return &taskDef{arn: ref, family: lastSegment(ref)}
	}
	sc := scopeOf(r)
	s.checkLogGroups(r.Context(), sc.account, sc.region, td)
	return td
}

// scenarioFor is the forced scenario of the service if the control endpoint set one, else
// the one the images ask for. The caller holds s.mu.
func (s *Simulator) scenarioFor(key svcKey, td *taskDef) scenario {
	if sc, ok := s.scenarios[key]; ok {
		return sc
	}
	return scenarioOf(td)
}

// launchKeys are the UpdateService fields that start a new deployment when they change, even
// on the same task definition.
var launchKeys = []string{"networkConfiguration", "loadBalancers", "serviceRegistries", "platformVersion", "capacityProviderStrategy",
	"serviceConnectConfiguration"}

// setConnect keeps the serviceConnectConfiguration a request sets (an UpdateService without
// one keeps the last) and puts it in the fields new deployments carry, as ECS reports it on
// each deployment. moto's CreateService and UpdateService drop it; it is kept as sent.
func (s *service) setConnect(req obj) {
	if c := child(req, "serviceConnectConfiguration"); c != nil {
		s.connect = c
	}
	if s.connect != nil {
		if s.fields == nil {
			s.fields = obj{}
		}
		s.fields["serviceConnectConfiguration"] = s.connect
	}
}

// setLaunch records the launch fields a CreateService or UpdateService request sets and
// reports whether one of them changed. It also keeps the first load balancer, whose target
// group fail-health tasks fail.
func (s *service) setLaunch(req obj) bool {
	if s.launchKeys == nil {
		s.launchKeys = map[string]string{}
	}
	changed := false
	for _, k := range launchKeys {
		v, ok := req[k]
		if !ok {
			continue
		}
		b, _ := json.Marshal(v)
		if old, seen := s.launchKeys[k]; seen && old != string(b) {
			changed = true
		} else if !seen && !empty(v) {
			changed = true // set for the first time on an update
		}
		s.launchKeys[k] = string(b)
	}
	if lbs, ok := req["loadBalancers"]; ok {
		s.lb = nil
		if l, _ := lbs.([]any); len(l) > 0 {
			if first, _ := l[0].(obj); str(first, "targetGroupArn") != "" {
				s.lb = &loadBalancer{targetGroup: str(first, "targetGroupArn"), port: intField(first, "containerPort", 0)}
			}
		}
	}
	return changed
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []any:
		return len(x) == 0
	case obj:
		return len(x) == 0
	case string:
		return x == ""
	}
	return false
}

// deploymentFields are moto's deployment fields the simulator does not compute, refreshed
// from the service's current launch settings.
func deploymentFields(svc obj) obj {
	out := obj{}
	if deps := list(svc, "deployments"); len(deps) > 0 {
		if d, ok := deps[0].(obj); ok {
			maps.Copy(out, d)
		}
	}
	for _, k := range []string{"launchType", "platformVersion", "platformFamily", "networkConfiguration", "capacityProviderStrategy"} {
		if v, ok := svc[k]; ok {
			out[k] = v
		}
	}
	for _, k := range ownedDeploymentKeys {
		delete(out, k)
	}
	return out
}

// withSecurityGroups works around a moto crash (HTTP 500, KeyError) on an awsvpcConfiguration
// without securityGroups, which ECS accepts (it then uses the VPC's default group).
func withSecurityGroups(req obj, body []byte) []byte {
	av := child(child(req, "networkConfiguration"), "awsvpcConfiguration")
	if av == nil || av["securityGroups"] != nil {
		return body
	}
	av["securityGroups"] = []any{}
	b, err := json.Marshal(req)
	if err != nil {
		return body
	}
	return b
}

// normalizeMotoTask fixes moto's own tasks (from RunTask), whose cpu and memory are JSON
// numbers where the ECS model, and so aws-sdk-go-v2, wants strings.
func normalizeMotoTask(t obj) obj {
	stringify := func(o obj, keys ...string) {
		for _, k := range keys {
			if n, ok := o[k].(json.Number); ok {
				o[k] = n.String()
			}
		}
	}
	stringify(t, "cpu", "memory")
	for _, c := range list(t, "containers") {
		if c, ok := c.(obj); ok {
			stringify(c, "cpu", "memory", "memoryReservation")
		}
	}
	return t
}
