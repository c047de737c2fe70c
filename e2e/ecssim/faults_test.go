package ecssim

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestThrottling(t *testing.T) {
	f := newFixture(t)
	noRetry := f.newECSClient(func(o *ecs.Options) { o.RetryMaxAttempts = 1 })
	describe := func(c *ecs.Client) error {
		_, err := c.DescribeServices(ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String("c1"), Services: []string{"web"}})
		return err
	}
	if code, body := f.control("POST", "config", obj{"throttleRatio": 1, "throttleOps": []string{"DescribeServices"}}); code != 200 {
		t.Fatalf("POST config: %d %s", code, body)
	}

	err := describe(noRetry)
	var apiErr smithy.APIError
	var httpErr *smithyhttp.ResponseError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" || apiErr.ErrorMessage() != "Rate exceeded" ||
		!errors.As(err, &httpErr) || httpErr.HTTPStatusCode() != 400 {
		t.Fatalf("throttled DescribeServices: %v, want ThrottlingException, HTTP 400", err)
	}
	if _, err := noRetry.ListClusters(ctx(t), &ecs.ListClustersInput{}); err != nil {
		t.Errorf("ListClusters is not in throttleOps but failed: %v", err)
	}

	// The raw answer, as any client sees it.
	req, _ := http.NewRequest(http.MethodPost, f.url+"/", strings.NewReader(`{"services":["web"]}`))
	req.Header.Set("X-Amz-Target", ecsTargetPrefix+"DescribeServices")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("x-amzn-ErrorType") != "ThrottlingException" ||
		string(body) != `{"__type":"ThrottlingException","message":"Rate exceeded"}` {
		t.Errorf("raw throttle: HTTP %d, x-amzn-ErrorType %q, body %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body)
	}

	// A ratio is deterministic: 0.5 throttles exactly every second call.
	f.control("POST", "config", obj{"throttleRatio": 0.5})
	var pattern []bool
	for range 4 {
		pattern = append(pattern, describe(noRetry) != nil)
	}
	if want := []bool{false, true, false, true}; !equalBools(pattern, want) {
		t.Errorf("ratio 0.5 throttled calls %v, want %v", pattern, want)
	}

	// Two throttles in a row are absorbed by the SDK's standard retryer (fast backoff here).
	f.control("POST", "config", obj{"throttleRatio": 0, "throttleNext": 2})
	fastRetry := f.newECSClient(func(o *ecs.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) { so.MaxBackoff = 5 * time.Millisecond })
	})
	if err := describe(fastRetry); err != nil {
		t.Errorf("2 throttles not absorbed by 3 attempts: %v", err)
	}
	if err := describe(noRetry); err != nil {
		t.Errorf("throttleNext throttled more than 2 calls: %v", err)
	}

	// Query-protocol calls are matched on their Action; the body read to find it still reaches
	// moto intact (the first call passes), and the throttle is an XML error (the second).
	f.control("POST", "config", obj{"throttleRatio": 0.5, "throttleOps": []string{"DescribeSubnets"}})
	defaultSubnets(t, f.url, f.account)
	form, _ := http.NewRequest(http.MethodPost, f.url+"/", strings.NewReader("Action=DescribeSubnets&Version=2016-11-15"))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = http.DefaultClient.Do(form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "<Code>Throttling</Code>") {
		t.Errorf("throttled query call: HTTP %d %s", resp.StatusCode, body)
	}
}

func TestLatency(t *testing.T) {
	f := newFixture(t)
	f.control("POST", "config", obj{"latency": "150ms"})
	start := time.Now()
	if _, err := f.ecs.ListClusters(ctx(t), &ecs.ListClustersInput{}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("call took %s with 150ms latency", took)
	}
}

// Reset wipes the simulator and moto (every account) and restores the start-up settings.
func TestReset(t *testing.T) {
	f := newFixture(t)
	td := f.registerTD("web", "nginx:1")
	f.createService("web", td, nil)
	f.control("POST", "config", obj{"throttleRatio": 0.25, "step": "5s"})

	if code, body := f.control("POST", "reset", nil); code != 200 {
		t.Fatalf("POST reset: %d %s", code, body)
	}
	if _, body := f.control("GET", "config", nil); !strings.Contains(body, `"step":"1s"`) || !strings.Contains(body, `"throttleRatio":0,`) {
		t.Errorf("settings not restored: %s", body)
	}
	if _, body := f.control("GET", "state", nil); !strings.Contains(body, `"services":[]`) {
		t.Errorf("simulator state not wiped: %s", body)
	}
	_, err := f.ecs.DescribeServices(ctx(t), &ecs.DescribeServicesInput{Cluster: aws.String("c1"), Services: []string{"web"}})
	var notFound *types.ClusterNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("after reset, DescribeServices: %v, want ClusterNotFoundException (moto wiped)", err)
	}
}

func TestControlEndpoint(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		method, path string
		body         any
		want         int
		contains     string
	}{
		{"GET", "healthz", nil, 200, `"ok":true`},
		{"POST", "config", obj{"step": "250ms", "failureThreshold": 5, "throttleOps": []string{"ListTasks"}}, 200, `"step":"250ms"`},
		{"GET", "config", nil, 200, `"failureThreshold":5`},
		{"POST", "config", obj{"stepp": "1s"}, 400, "unknown field"},
		{"POST", "config", obj{"step": "0s"}, 400, "step must be > 0"},
		{"POST", "config", obj{"throttleRatio": 2}, 400, "within 0..1"},
		{"POST", "scenario", obj{"scenario": "fail-pull"}, 400, "service is required"},
		{"GET", "nothing", nil, 404, "README"},
	} {
		code, body := f.control(c.method, c.path, c.body)
		if code != c.want || !strings.Contains(body, c.contains) {
			t.Errorf("%s %s: %d %s, want %d containing %q", c.method, c.path, code, body, c.want, c.contains)
		}
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
