package version

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shipit-dev/shipit/pkg/cmdutil/cmdtest"
	"github.com/shipit-dev/shipit/pkg/target"
)

func TestVersion(t *testing.T) {
	e := cmdtest.New(t, "ecs", "")
	cmd := NewCmd(e.Factory)
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got := e.Out.String(); !strings.HasPrefix(got, "shipit "+Version) || !strings.Contains(got, "go1.") {
		t.Errorf("%q", got)
	}

	e = cmdtest.New(t, "ecs", "")
	e.Factory.Global.Output = "json"
	cmd = NewCmd(e.Factory)
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var info Info
	if err := json.Unmarshal(e.Out.Bytes(), &info); err != nil || info.Version != Version || info.OS == "" {
		t.Errorf("%+v %v", info, err)
	}

	e = cmdtest.New(t, "ecs", "")
	e.Factory.Global.Output = "yaml"
	cmd = NewCmd(e.Factory)
	cmd.SetArgs(nil)
	if err := cmd.Execute(); target.ExitCode(err) != target.ExitInvalid {
		t.Errorf("-o yaml: %v", err)
	}
}
