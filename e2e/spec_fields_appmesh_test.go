//go:build e2e

package e2e

import (
	"testing"

	"github.com/shipit-dev/shipit/e2e/harness"
)

// TestECSAppMeshFireLensReadBack: the task definition fields of an App Mesh app that logs
// through FireLens (the proxy configuration, Envoy's own ulimits, the app waiting for Envoy
// HEALTHY, the log driver's secret options, awslogs-create-group on the router, an EFS volume
// without transit encryption) are what ECS stores: deployed through the simulator to moto and
// read back with describe-task-definition.
func TestECSAppMeshFireLensReadBack(t *testing.T) {
	a := newECSApp(t, ecsFast)
	const apiKey = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:datadog-api-key-AbCdEf"
	spec := a.spec(ecsSpec{
		Image: "registry.local/colorteller:v1",
		Extra: `cpu: 1
memory: 2Gi
dependsOn: [{container: envoy, condition: HEALTHY}]
volumes: [{name: conf, efs: {fileSystem: fs-12345678, transitEncryption: false}}]
sidecars:
  - name: envoy
    image: registry.local/envoy:v1
    security: {runAsUser: 1337}
    ports: [{port: 15000}, {port: 15001}]
    health: {command: [/bin/sh, -c, "curl -s localhost:9901/ready"], interval: 5s, timeout: 2s}
    ecs: {ulimits: [{name: nofile, soft: 15000, hard: 15000}]}
  - name: log_router
    image: registry.local/fluent-bit:v1
    mounts: [{volume: conf, path: /fluent-bit/extra}]
    firelens: {type: fluentbit}
`,
		ECSExtra: `  proxy:
    container: envoy
    properties: {IgnoredUID: "1337", IgnoredGID: "", AppPorts: "80", ProxyIngressPort: "15000", ProxyEgressPort: "15001", EgressIgnoredIPs: "169.254.170.2,169.254.169.254"}
  logOptions: {awslogs-create-group: "true"}
  logDriver:
    name: awsfirelens
    options: {Name: datadog, provider: ecs}
    secretOptions: {apikey: ` + apiKey + `}
`,
	})
	if r := a.run("deploy", "-f", spec); r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	type kv struct{ Name, Value string }
	var out struct {
		TaskDefinition struct {
			ProxyConfiguration struct {
				Type, ContainerName string
				Properties          []kv
			}
			Volumes []struct {
				Name                   string
				EfsVolumeConfiguration struct {
					FileSystemId, TransitEncryption string
					AuthorizationConfig             *struct{ Iam string }
				}
			}
			ContainerDefinitions []struct {
				Name      string
				DependsOn []struct{ ContainerName, Condition string }
				Ulimits   []struct {
					Name                 string
					SoftLimit, HardLimit int
				}
				LogConfiguration struct {
					LogDriver     string
					Options       map[string]string
					SecretOptions []struct{ Name, ValueFrom string }
				}
			}
		}
	}
	awsCLI(t, ecsRegion, &out, "ecs", "describe-task-definition", "--task-definition", "web")
	td := out.TaskDefinition

	pc := td.ProxyConfiguration
	props := map[string]string{}
	for _, p := range pc.Properties {
		props[p.Name] = p.Value
	}
	if pc.Type != "APPMESH" || pc.ContainerName != "envoy" || len(props) != 6 || props["IgnoredUID"] != "1337" ||
		props["AppPorts"] != "80" || props["ProxyIngressPort"] != "15000" || props["ProxyEgressPort"] != "15001" ||
		props["EgressIgnoredIPs"] != "169.254.170.2,169.254.169.254" {
		t.Errorf("proxy configuration: %+v", pc)
	}
	if v, ok := props["IgnoredGID"]; !ok || v != "" {
		t.Errorf("IgnoredGID (kept empty, as written): %q present %v", v, ok)
	}

	if len(td.Volumes) != 1 || td.Volumes[0].EfsVolumeConfiguration.FileSystemId != "fs-12345678" ||
		td.Volumes[0].EfsVolumeConfiguration.TransitEncryption != "DISABLED" || td.Volumes[0].EfsVolumeConfiguration.AuthorizationConfig != nil {
		t.Errorf("EFS volume without transit encryption (and so without IAM): %+v", td.Volumes)
	}

	byName := map[string]int{}
	for i, c := range td.ContainerDefinitions {
		byName[c.Name] = i
	}
	if len(byName) != 3 {
		t.Fatalf("containers: %+v", td.ContainerDefinitions)
	}
	app, envoy, router := td.ContainerDefinitions[byName["web"]], td.ContainerDefinitions[byName["envoy"]], td.ContainerDefinitions[byName["log_router"]]
	if len(app.DependsOn) != 1 || app.DependsOn[0].ContainerName != "envoy" || app.DependsOn[0].Condition != "HEALTHY" {
		t.Errorf("the app waits for Envoy HEALTHY: %+v", app.DependsOn)
	}
	if len(envoy.Ulimits) != 1 || envoy.Ulimits[0].Name != "nofile" || envoy.Ulimits[0].SoftLimit != 15000 || envoy.Ulimits[0].HardLimit != 15000 {
		t.Errorf("Envoy's own ulimits: %+v", envoy.Ulimits)
	}
	if len(app.Ulimits) != 0 || len(router.Ulimits) != 0 {
		t.Errorf("ulimits on other containers: app %+v, router %+v", app.Ulimits, router.Ulimits)
	}
	for _, c := range []string{"web", "envoy"} {
		lc := td.ContainerDefinitions[byName[c]].LogConfiguration
		if lc.LogDriver != "awsfirelens" || lc.Options["Name"] != "datadog" || len(lc.SecretOptions) != 1 ||
			lc.SecretOptions[0].Name != "apikey" || lc.SecretOptions[0].ValueFrom != apiKey {
			t.Errorf("%s log configuration (the key as a secret option): %+v", c, lc)
		}
		if _, leaked := lc.Options["apikey"]; leaked {
			t.Errorf("%s: the key is in plain options: %v", c, lc.Options)
		}
	}
	if lc := router.LogConfiguration; lc.LogDriver != "awslogs" || lc.Options["awslogs-create-group"] != "true" ||
		lc.Options["awslogs-group"] != "/ecs/web" || len(lc.SecretOptions) != 0 {
		t.Errorf("router log configuration: %+v", lc)
	}
}

// TestEKSEFSWithoutTransitEncryption: the same EFS setting on Kubernetes reaches the EFS CSI
// driver as the PersistentVolume's encryptInTransit "false", as the API server stores it.
func TestEKSEFSWithoutTransitEncryption(t *testing.T) {
	ns := harness.Namespace(t)
	spec := eksApp(t, ns, "registry.local/web:v1", "volumes: [{name: conf, path: /conf, efs: {fileSystem: fs-12345678, transitEncryption: false}}]\n")
	// PersistentVolumes are cluster-wide: the namespace's deletion does not take them along.
	t.Cleanup(func() { harness.Kubectl(t, "delete", "pv", "--ignore-not-found", "--wait=false", ns+"-web-conf") })
	if r := runShipit(t, "deploy", "--target", "eks", "-f", spec); r.code != 0 {
		t.Fatalf("deploy: exit %d\n%s", r.code, r.stderr)
	}
	got := kubectlOut(t, "get", "pv", ns+"-web-conf", "-o", "jsonpath={.spec.csi.driver} {.spec.csi.volumeHandle} {.spec.csi.volumeAttributes}")
	if got != `efs.csi.aws.com fs-12345678 {"encryptInTransit":"false"}` {
		t.Errorf("PersistentVolume CSI source: %s", got)
	}
}
