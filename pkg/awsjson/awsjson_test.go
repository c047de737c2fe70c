package awsjson

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestValue(t *testing.T) {
	in := &ecs.RegisterTaskDefinitionInput{
		Family:      aws.String("web"),
		NetworkMode: types.NetworkModeAwsvpc,
		ContainerDefinitions: []types.ContainerDefinition{{
			Name:             aws.String("web"),
			Essential:        aws.Bool(false),
			Memory:           aws.Int32(512),
			LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{"Awslogs-Group": "/ecs/web"}},
		}},
	}
	b, err := json.Marshal(Value(in))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"containerDefinitions":[{"essential":false,"logConfiguration":{"logDriver":"awslogs","options":{"Awslogs-Group":"/ecs/web"}},"memory":512,"name":"web"}],"family":"web","networkMode":"awsvpc"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
