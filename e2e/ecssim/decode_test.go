package ecssim

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The simulator writes DescribeServices and DescribeTasks answers itself; aws-sdk-go-v2 rejects
// a field of the wrong JSON type, so decode them with the real client and check every field
// the simulator sets came through typed.
func TestResponsesDecodeWithSDK(t *testing.T) {
	f := newFixture(t)
	td1 := f.registerTD("web", "nginx:1")
	td2 := f.registerTD("web", "app:fail-exit")
	f.createService("web", td1, nil)
	f.step(2)
	f.update(&ecs.UpdateServiceInput{Service: aws.String("web"), TaskDefinition: aws.String(td2)})
	f.step(2) // the fail-exit tasks started one step ago and have just exited

	svc := f.describe("web")
	if svc.DeploymentConfiguration == nil || aws.ToInt32(svc.DeploymentConfiguration.MaximumPercent) != 200 ||
		aws.ToInt32(svc.DeploymentConfiguration.MinimumHealthyPercent) != 100 {
		t.Errorf("deploymentConfiguration defaults: %+v", svc.DeploymentConfiguration)
	}
	for _, d := range svc.Deployments {
		if d.CreatedAt == nil || d.UpdatedAt == nil || d.LaunchType != types.LaunchTypeFargate || d.NetworkConfiguration == nil ||
			d.RolloutStateReason == nil {
			t.Errorf("deployment %s: createdAt=%v updatedAt=%v launchType=%q network=%v", aws.ToString(d.Id),
				d.CreatedAt, d.UpdatedAt, d.LaunchType, d.NetworkConfiguration)
		}
	}
	for _, e := range svc.Events {
		if e.CreatedAt == nil || aws.ToString(e.Id) == "" {
			t.Errorf("event %q: createdAt=%v id=%q", aws.ToString(e.Message), e.CreatedAt, aws.ToString(e.Id))
		}
	}

	stopped := f.tasks("web", types.DesiredStatusStopped)
	running := f.tasks("web", types.DesiredStatusRunning)
	if len(stopped) != 2 || len(running) < 2 {
		t.Fatalf("%d stopped / %d running tasks, want 2 / at least 2", len(stopped), len(running))
	}
	for _, tk := range append(stopped, running...) {
		c := tk.Containers[0]
		if aws.ToString(tk.Cpu) != "256" || aws.ToString(tk.Memory) != "512" || tk.CreatedAt == nil ||
			tk.LaunchType != types.LaunchTypeFargate || tk.Version < 1 || aws.ToString(tk.ClusterArn) == "" ||
			aws.ToString(c.Name) != "app" || aws.ToString(c.Memory) != "512" || aws.ToString(c.Cpu) != "0" ||
			aws.ToString(c.TaskArn) != aws.ToString(tk.TaskArn) || aws.ToString(c.ContainerArn) == "" {
			t.Errorf("task decoded with missing fields: %s", mustJSON(tk))
		}
	}
	for _, tk := range stopped {
		if tk.StartedAt == nil || tk.StoppingAt == nil || tk.StoppedAt == nil || tk.Connectivity != types.ConnectivityConnected ||
			tk.Containers[0].ExitCode == nil || *tk.Containers[0].ExitCode != 1 || aws.ToString(tk.Containers[0].LastStatus) != "STOPPED" {
			t.Errorf("exited task decoded with missing fields: %s", mustJSON(tk))
		}
	}
}

// moto's own tasks (RunTask) carry cpu/memory as numbers; the simulator turns them into strings.
func TestNormalizeMotoTask(t *testing.T) {
	in, _ := decodeObj([]byte(`{"cpu":256,"memory":"512","containers":[{"cpu":0,"memory":128,"memoryReservation":64,"name":"a"}]}`))
	b, _ := json.Marshal(normalizeMotoTask(in))
	want := `{"containers":[{"cpu":"0","memory":"128","memoryReservation":"64","name":"a"}],"cpu":"256","memory":"512"}`
	if string(b) != want {
		t.Errorf("normalized:\n%s\nwant\n%s", b, want)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
