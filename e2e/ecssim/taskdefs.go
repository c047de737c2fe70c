package ecssim

import "net/http"

// Task definition registration times. ECS answers RegisterTaskDefinition and
// DescribeTaskDefinition with the revision's registeredAt, "the Unix timestamp for the time
// when the task definition was registered" (API reference, TaskDefinition data type:
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskDefinition.html). moto
// keeps no such time (its TaskDefinition model has no registered_at, so neither answer carries
// the field), and `shipit history` shows it. The simulator remembers when each revision was
// registered through it, by ARN (which names the account and region), and adds the field.
// A revision registered before the simulator started (moto outlived it) stays without one.

func (s *Simulator) registerTaskDefinition(w http.ResponseWriter, r *http.Request, body []byte) {
	rep, resp, ok := s.forwardAndDecode(w, r, "RegisterTaskDefinition", body)
	if !ok {
		return
	}
	td := child(resp, "taskDefinition")
	now := s.now()
	s.mu.Lock()
	if arn := str(td, "taskDefinitionArn"); arn != "" {
		s.registered[arn] = now
	}
	s.mu.Unlock()
	if td != nil {
		putTime(td, "registeredAt", now)
	}
	writeJSON(w, http.StatusOK, rep.header.Get("x-amzn-RequestId"), resp)
}

func (s *Simulator) describeTaskDefinition(w http.ResponseWriter, r *http.Request, body []byte) {
	rep, resp, ok := s.forwardAndDecode(w, r, "DescribeTaskDefinition", body)
	if !ok {
		return
	}
	td := child(resp, "taskDefinition")
	s.mu.Lock()
	at, known := s.registered[str(td, "taskDefinitionArn")]
	s.mu.Unlock()
	if known {
		putTime(td, "registeredAt", at)
	}
	writeJSON(w, http.StatusOK, rep.header.Get("x-amzn-RequestId"), resp)
}
