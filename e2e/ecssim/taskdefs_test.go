package ecssim

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Each revision answers with the time it was registered, in RegisterTaskDefinition and in
// every DescribeTaskDefinition after (by ARN or family:rev); a reset forgets them with moto.
func TestRegisteredAt(t *testing.T) {
	f := newFixture(t)
	first := f.clock.Now()
	out, err := f.ecs.RegisterTaskDefinition(ctx(t), &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String("web"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("web:1"), Memory: aws.Int32(512)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToTime(out.TaskDefinition.RegisteredAt); !got.Equal(first) {
		t.Errorf("RegisterTaskDefinition registeredAt %v, want %v", got, first)
	}
	f.clock.Add(90 * time.Minute)
	second := f.registerTD("web", "web:2")
	for ref, want := range map[string]time.Time{"web:1": first, second: first.Add(90 * time.Minute), "web": first.Add(90 * time.Minute)} {
		d, err := f.ecs.DescribeTaskDefinition(ctx(t), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
		if err != nil {
			t.Fatalf("DescribeTaskDefinition %s: %v", ref, err)
		}
		if got := aws.ToTime(d.TaskDefinition.RegisteredAt); !got.Equal(want) {
			t.Errorf("DescribeTaskDefinition %s: registeredAt %v, want %v", ref, got, want)
		}
	}
	if code, body := f.control("POST", "reset", nil); code != 200 {
		t.Fatalf("reset: %d %s", code, body)
	}
	if len(f.sim.registered) != 0 {
		t.Errorf("after a reset the simulator still knows %d registrations", len(f.sim.registered))
	}
}
