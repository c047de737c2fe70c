package importer

// What a task definition or service may say that Fargate does not run. shipit deploys to
// Fargate only, so these are listed as lost (with the reason) rather than carried as
// overrides ECS would refuse. The lists follow the Amazon ECS Developer Guide, "Amazon ECS
// task definition differences for the Fargate launch type" (parameters that are not valid in
// Fargate tasks) and "Fargate task networking" (awsvpc only).

import (
	"fmt"
	"strings"
)

// notOnFargate are container definition fields Fargate does not take, with why.
var notOnFargate = map[string]string{
	"disableNetworking":     "not Fargate: disableNetworking is not valid in Fargate tasks",
	"dnsSearchDomains":      "not Fargate: dnsSearchDomains is not valid in Fargate tasks (awsvpc uses the VPC's DNS)",
	"dnsServers":            "not Fargate: dnsServers is not valid in Fargate tasks (awsvpc uses the VPC's DNS)",
	"dockerSecurityOptions": "not Fargate: dockerSecurityOptions is not valid in Fargate tasks",
	"extraHosts":            "not Fargate: extraHosts is not valid in Fargate tasks",
	"links":                 "not Fargate: links need the bridge network mode; awsvpc containers reach each other on localhost",
	"hostname":              "not Fargate: hostname is not valid with the awsvpc network mode",
	"privileged":            "not Fargate: privileged containers are not valid in Fargate tasks",
}

// notOnFargateLinux are linuxParameters Fargate does not take.
var notOnFargateLinux = map[string]string{
	"devices":          "not Fargate: host devices are not valid in Fargate tasks",
	"sharedMemorySize": "not Fargate: sharedMemorySize is not valid in Fargate tasks",
	"tmpfs":            "not Fargate: tmpfs mounts are not valid in Fargate tasks",
	"maxSwap":          "not Fargate: swap is not valid in Fargate tasks",
	"swappiness":       "not Fargate: swap is not valid in Fargate tasks",
}

// fargateLosses lists what the task definition says that Fargate does not run.
func fargateLosses(td map[string]any) []Loss {
	var out []Loss
	add := func(path, why string) { out = append(out, Loss{Field: "taskDefinition." + path, Reason: why}) }
	switch nm, _ := td["networkMode"].(string); nm {
	case "", "awsvpc":
	default:
		add("networkMode", fmt.Sprintf("not Fargate: network mode %s; Fargate tasks run awsvpc (the import says awsvpc)", nm))
	}
	if rc := list(td["requiresCompatibilities"]); len(rc) > 0 && !containsString(rc, "FARGATE") {
		add("requiresCompatibilities", fmt.Sprintf("not Fargate: the task definition is for %s; shipit runs Fargate (the import says FARGATE)", joinStrings(rc)))
	}
	if len(list(td["placementConstraints"])) > 0 {
		add("placementConstraints", "not Fargate: placement constraints place tasks on EC2 instances")
	}
	if len(list(td["inferenceAccelerators"])) > 0 {
		add("inferenceAccelerators", "not Fargate: Elastic Inference accelerators are not valid in Fargate tasks")
	}
	if m, _ := td["ipcMode"].(string); m != "" {
		add("ipcMode", "not Fargate: ipcMode is not valid in Fargate tasks")
	}
	for _, c := range list(td["containerDefinitions"]) {
		cm, _ := c.(map[string]any)
		name, _ := cm["name"].(string)
		at := fmt.Sprintf("containerDefinitions[name=%s].", name)
		for f, why := range notOnFargate {
			if v, ok := cm[f]; ok && present(v) && !(f == "privileged" && v == false) && !(f == "disableNetworking" && v == false) {
				add(at+f, why)
			}
		}
		if lp, ok := cm["linuxParameters"].(map[string]any); ok {
			for f, why := range notOnFargateLinux {
				if v, ok := lp[f]; ok && present(v) {
					add(at+"linuxParameters."+f, why)
				}
			}
			if caps, ok := lp["capabilities"].(map[string]any); ok {
				for _, a := range list(caps["add"]) {
					if a != "SYS_PTRACE" {
						add(at+"linuxParameters.capabilities.add", fmt.Sprintf("not Fargate: Fargate adds only SYS_PTRACE, not %v", a))
						break
					}
				}
			}
		}
		for _, r := range list(cm["resourceRequirements"]) {
			if rm, _ := r.(map[string]any); rm["type"] == "GPU" {
				add(at+"resourceRequirements", "not Fargate: Fargate has no GPUs")
			}
		}
		for _, p := range list(cm["portMappings"]) {
			pm, _ := p.(map[string]any)
			if hp, ok := pm["hostPort"].(float64); ok && hp != 0 && hp != pm["containerPort"] {
				add(at+"portMappings", fmt.Sprintf("not Fargate: host port %v differs from container port %v; an awsvpc task's host port is its container port", hp, pm["containerPort"]))
				break
			}
		}
	}
	for _, v := range list(td["volumes"]) {
		vm, _ := v.(map[string]any)
		name, _ := vm["name"].(string)
		at := fmt.Sprintf("volumes[name=%s].", name)
		if h, ok := vm["host"].(map[string]any); ok && h["sourcePath"] != nil && h["sourcePath"] != "" {
			add(at+"host.sourcePath", "not Fargate: a host path is a directory of an EC2 instance")
		}
		if vm["dockerVolumeConfiguration"] != nil {
			add(at+"dockerVolumeConfiguration", "not Fargate: Docker volumes are not valid in Fargate tasks")
		}
		if vm["fsxWindowsFileServerVolumeConfiguration"] != nil {
			add(at+"fsxWindowsFileServerVolumeConfiguration", "not Fargate: FSx for Windows volumes need Windows on EC2 here")
		}
	}
	return out
}

// serviceLosses lists what the service says that shipit's Fargate rolling deployments cannot.
func serviceLosses(svc map[string]any) []Loss {
	var out []Loss
	add := func(path, why string) { out = append(out, Loss{Field: "service." + path, Reason: why}) }
	if lt, _ := svc["launchType"].(string); lt != "" && lt != "FARGATE" {
		add("launchType", fmt.Sprintf("not Fargate: launch type %s; shipit runs Fargate (the import says FARGATE)", lt))
	}
	if s, _ := svc["schedulingStrategy"].(string); s == "DAEMON" {
		add("schedulingStrategy", "not Fargate: a DAEMON service (one task per EC2 instance) cannot be said; the import runs replicas")
	}
	if len(list(svc["placementConstraints"])) > 0 {
		add("placementConstraints", "not Fargate: placement constraints place tasks on EC2 instances")
	}
	if len(list(svc["placementStrategy"])) > 0 {
		add("placementStrategy", "not Fargate: placement strategies spread tasks over EC2 instances")
	}
	for _, p := range list(svc["capacityProviderStrategy"]) {
		pm, _ := p.(map[string]any)
		if n, _ := pm["capacityProvider"].(string); n != "FARGATE" && n != "FARGATE_SPOT" {
			add("capacityProviderStrategy", fmt.Sprintf("not Fargate: capacity provider %s; shipit takes FARGATE and FARGATE_SPOT", n))
			break
		}
	}
	if dc, ok := svc["deploymentController"].(map[string]any); ok {
		if t, _ := dc["type"].(string); t != "" && t != "ECS" {
			add("deploymentController", fmt.Sprintf("rollout: deployment controller %s; shipit deploys with ECS rolling deployments", t))
		}
	}
	if dc, ok := svc["deploymentConfiguration"].(map[string]any); ok {
		if st, _ := dc["strategy"].(string); st != "" && st != "ROLLING" {
			add("deploymentConfiguration.strategy", fmt.Sprintf("rollout: a %s deployment; shipit deploys with ECS rolling deployments", st))
		}
	}
	if r, _ := svc["role"].(string); r != "" {
		add("role", "not Fargate: a service IAM role is for load balancers outside awsvpc; awsvpc services use ECS's service-linked role")
	}
	if z, _ := svc["availabilityZoneRebalancing"].(string); z == "DISABLED" {
		add("availabilityZoneRebalancing", "ECS specifics: shipit does not set it; a deploy keeps it on this service, but a new service gets ECS's default ENABLED")
	}
	for _, f := range []string{"volumeConfigurations", "vpcLatticeConfigurations"} {
		if len(list(svc[f])) > 0 {
			add(f, "ECS specifics: shipit does not set "+f+" (a deploy would not keep it)")
		}
	}
	return out
}

func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

func containsString(l []any, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

func joinStrings(l []any) string {
	var out []string
	for _, v := range l {
		out = append(out, fmt.Sprint(v))
	}
	return strings.Join(out, ", ")
}
