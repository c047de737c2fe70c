package ecssim

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// maxPeekBody bounds how much of a form-encoded body is read to find its Action: query-protocol
// calls are small, and a larger body is simply not matched by name.
const maxPeekBody = 1 << 20

// injectFaults applies the configured latency and throttling to one AWS call. It returns true
// when it has answered the call itself (throttled, or the client went away while waiting).
func (s *Simulator) injectFaults(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	latency := s.settings.Latency
	throttling := s.settings.ThrottleRatio > 0 || s.settings.ThrottleNext > 0
	s.mu.Unlock()
	if latency > 0 && !sleepCtx(r.Context(), latency) {
		return true
	}
	if !throttling { // spare every call the body peek of operationName
		return false
	}

	op := operationName(r)
	if !s.shouldThrottle(op) {
		return false
	}
	s.log.Info("throttled", "op", op)
	writeThrottle(w, r)
	return true
}

// shouldThrottle decides deterministically, so a test that sets a ratio of 0.5 knows exactly
// which calls fail: an accumulator gains ThrottleRatio per matching call and throttles each
// time it reaches 1.
func (s *Simulator) shouldThrottle(op string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.settings
	if len(st.ThrottleOps) > 0 && !slices.Contains(st.ThrottleOps, op) {
		return false
	}
	if st.ThrottleNext > 0 {
		st.ThrottleNext--
		return true
	}
	if st.ThrottleRatio <= 0 {
		return false
	}
	s.throttleAcc += st.ThrottleRatio
	if s.throttleAcc >= 1-1e-9 {
		s.throttleAcc--
		return true
	}
	return false
}

// writeThrottle answers in the error format of the caller's protocol, so each SDK recognises
// the throttle and applies its own retry policy.
func writeThrottle(w http.ResponseWriter, r *http.Request) {
	if isFormEncoded(r) {
		// awsQuery services (STS, IAM, ...) read XML error documents.
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("x-amzn-RequestId", newRequestID())
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>`+
			`<Message>Rate exceeded</Message></Error><RequestId>`+newRequestID()+`</RequestId></ErrorResponse>`)
		return
	}
	writeAWSError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
}

// operationName is the API operation of a call: the X-Amz-Target suffix for JSON protocols,
// the Action parameter for query protocols, "" when neither applies (REST services).
func operationName(r *http.Request) string {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		return target[strings.LastIndexByte(target, '.')+1:]
	}
	if !isFormEncoded(r) || r.Body == nil {
		return ""
	}
	// Read the body and put it back untouched: the call may still go to moto.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPeekBody))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if err != nil {
		return ""
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return values.Get("Action")
}

func isFormEncoded(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

// sleepCtx waits d, or less if ctx ends first; it reports whether the full wait happened.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
