package target

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/shipit-dev/shipit/pkg/spec"
)

func TestRolloutTimeout(t *testing.T) {
	app := &spec.App{Rollout: spec.RolloutPolicy{Timeout: "7m"}}
	if got := RolloutTimeout(0, app); got != 7*time.Minute {
		t.Errorf("no flag: %s", got)
	}
	if got := RolloutTimeout(90*time.Second, app); got != 90*time.Second {
		t.Errorf("flag: %s", got)
	}
}

func TestAfterAutoRollback(t *testing.T) {
	base := AutoRollback{Failed: "tasks keep failing", To: "web:1", Where: "ECS", Counted: "running", Desired: 2, Ready: 2}
	cases := []struct {
		phase     Phase
		msg       string
		wantPhase Phase
		want      string
	}{
		{Succeeded, "", RolledBack, "tasks keep failing; rolled back to web:1 (2/2 running)"},
		{Canceled, "", Canceled, "tasks keep failing; interrupted; the rollback to web:1 goes on in ECS"},
		{TimedOut, "timed out after 1m", Failed, "tasks keep failing; the rollback to web:1 did not finish either: timed out after 1m"},
		{Failed, "image gone", Failed, "tasks keep failing; the rollback to web:1 did not finish either: image gone"},
	}
	for _, c := range cases {
		a := base
		a.Phase, a.Message = c.phase, c.msg
		v := &Verdict{Phase: Failed}
		AfterAutoRollback(v, a)
		if v.Phase != c.wantPhase || v.Message != c.want {
			t.Errorf("%s: %s %q", c.phase, v.Phase, v.Message)
		}
		if ExitCode(v.Err()) == ExitOK {
			t.Errorf("%s: an automatic rollback is never a success", c.phase)
		}
	}
}

func TestEventWithCounts(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e := NewEvent(at, "ecs", "web", Progressing, "2 of 3").WithCounts(3, 2, 1)
	want := Event{Time: at, Target: "ecs", App: "web", Phase: Progressing, Message: "2 of 3", Desired: 3, Updated: 2, Ready: 1}
	if e != want {
		t.Errorf("got %+v", e)
	}
}

// Both backends load the AWS configuration alike: the retryer's attempts raised unless
// configured, and no region is a usage error with the backend's own advice.
func TestLoadAWSConfig(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_MAX_ATTEMPTS", "")
	t.Setenv("AWS_PROFILE", "")
	ctx := context.Background()
	_, err := LoadAWSConfig(ctx, ConnectOptions{}, "", "no region: set it")
	var usage *UsageError
	if !errors.As(err, &usage) || usage.Msg != "no region: set it" {
		t.Fatalf("no region: %v", err)
	}
	cfg, err := LoadAWSConfig(ctx, ConnectOptions{Region: "eu-west-1"}, "us-east-2", "")
	if err != nil || cfg.Region != "eu-west-1" || cfg.RetryMaxAttempts != defaultAWSMaxAttempts {
		t.Fatalf("--region wins over the spec's region, attempts raised: %s %d %v", cfg.Region, cfg.RetryMaxAttempts, err)
	}
	cfg, err = LoadAWSConfig(ctx, ConnectOptions{Region: "eu-west-1"}, "", "")
	if err != nil || cfg.Region != "eu-west-1" {
		t.Fatalf("--region: %s %v", cfg.Region, err)
	}
	// The spec's region beats the environment's.
	t.Setenv("AWS_REGION", "ap-south-1")
	cfg, err = LoadAWSConfig(ctx, ConnectOptions{}, "us-east-2", "")
	if err != nil || cfg.Region != "us-east-2" {
		t.Fatalf("the spec's region over AWS_REGION: %s %v", cfg.Region, err)
	}
	cfg, err = LoadAWSConfig(ctx, ConnectOptions{}, "", "")
	if err != nil || cfg.Region != "ap-south-1" {
		t.Fatalf("AWS_REGION: %s %v", cfg.Region, err)
	}
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_MAX_ATTEMPTS", "3")
	if cfg, _ := LoadAWSConfig(ctx, ConnectOptions{Region: "eu-west-1"}, "", ""); cfg.RetryMaxAttempts != 3 {
		t.Errorf("AWS_MAX_ATTEMPTS not kept: %d", cfg.RetryMaxAttempts)
	}
}
