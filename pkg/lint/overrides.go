package lint

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// covered maps a rendered field (list items left out) to the spec field that already says
// it: an override or patch that sets one fights the neutral field, and wins silently.
var covered = map[string]string{
	"taskDefinition.cpu":                                                                 "cpu",
	"taskDefinition.memory":                                                              "memory",
	"taskDefinition.family":                                                              "ecs.family",
	"taskDefinition.executionRoleArn":                                                    "ecs.executionRole",
	"taskDefinition.taskRoleArn":                                                         "role",
	"taskDefinition.volumes":                                                             "volumes",
	"taskDefinition.ephemeralStorage":                                                    "ecs.ephemeralStorage",
	"taskDefinition.runtimePlatform":                                                     "ecs.architecture",
	"taskDefinition.proxyConfiguration":                                                  "ecs.proxy",
	"taskDefinition.containerDefinitions.image":                                          "image (or sidecars[].image)",
	"taskDefinition.containerDefinitions.environment":                                    "env",
	"taskDefinition.containerDefinitions.secrets":                                        "secrets",
	"taskDefinition.containerDefinitions.portMappings":                                   "ports",
	"taskDefinition.containerDefinitions.healthCheck":                                    "health",
	"taskDefinition.containerDefinitions.command":                                        "args",
	"taskDefinition.containerDefinitions.entryPoint":                                     "command",
	"taskDefinition.containerDefinitions.memoryReservation":                              "requests.memory",
	"taskDefinition.containerDefinitions.ulimits":                                        "ecs.ulimits (or sidecars[].ecs.ulimits)",
	"taskDefinition.containerDefinitions.dockerLabels":                                   "ecs.dockerLabels",
	"taskDefinition.containerDefinitions.logConfiguration":                               "ecs.logDriver / ecs.logOptions",
	"taskDefinition.containerDefinitions.logConfiguration.options.awslogs-group":         "ecs.logGroup",
	"taskDefinition.containerDefinitions.logConfiguration.options.awslogs-stream-prefix": "ecs.logStreamPrefix",
	"taskDefinition.containerDefinitions.dependsOn":                                      "dependsOn",
	"taskDefinition.containerDefinitions.user":                                           "security.runAsUser",
	"taskDefinition.containerDefinitions.readonlyRootFilesystem":                         "security.readOnlyRootFilesystem",
	"taskDefinition.containerDefinitions.stopTimeout":                                    "stopGrace",
	"taskDefinition.containerDefinitions.mountPoints":                                    "volumes / mounts",
	"service.serviceName":                                                                "ecs.serviceName",
	"service.desiredCount":                                                               "replicas",
	"service.networkConfiguration":                                                       "ecs.subnets / ecs.securityGroups / ecs.assignPublicIp",
	"service.loadBalancers":                                                              "ecs.targetGroup",
	"service.capacityProviderStrategy":                                                   "ecs.capacity / ecs.capacityProviders",
	"service.enableExecuteCommand":                                                       "ecs.exec",
	"service.platformVersion":                                                            "ecs.platformVersion",
	"service.propagateTags":                                                              "ecs.propagateTags",
	"service.enableECSManagedTags":                                                       "ecs.managedTags",
	"service.deploymentConfiguration":                                                    "rollout / ecs.circuitBreaker",
	"service.serviceConnectConfiguration.enabled":                                        "ecs.serviceConnect",
	"service.serviceConnectConfiguration.namespace":                                      "ecs.serviceConnect.namespace",
	"service.serviceConnectConfiguration.services.portName":                              "ecs.serviceConnect.services[].port",
	"service.serviceConnectConfiguration.services.discoveryName":                         "ecs.serviceConnect.services[].discoveryName",
	"service.serviceConnectConfiguration.services.clientAliases":                         "ecs.serviceConnect.services[].clientAliases",
	"Deployment.spec.replicas":                                                           "replicas",
	"Deployment.spec.minReadySeconds":                                                    "eks.minReadySeconds",
	"Deployment.spec.revisionHistoryLimit":                                               "eks.revisionHistoryLimit",
	"Deployment.spec.strategy":                                                           "rollout.maxSurge / maxUnavailable",
	"Deployment.spec.template.spec.containers.image":                                     "image (or sidecars[].image)",
	"Deployment.spec.template.spec.containers.env":                                       "env / secrets / eks.env",
	"Deployment.spec.template.spec.containers.resources":                                 "cpu / memory / requests / limits",
	"Deployment.spec.template.spec.containers.ports":                                     "ports",
	"Deployment.spec.template.spec.containers.readinessProbe":                            "health",
	"Deployment.spec.template.spec.containers.livenessProbe":                             "health.liveness",
	"Deployment.spec.template.spec.containers.startupProbe":                              "health.startup / health.grace",
	"Deployment.spec.template.spec.containers.command":                                   "command",
	"Deployment.spec.template.spec.containers.args":                                      "args",
	"Deployment.spec.template.spec.containers.securityContext":                           "security",
	"Deployment.spec.template.spec.containers.volumeMounts":                              "volumes / mounts",
	"Deployment.spec.template.spec.containers.lifecycle.preStop":                         "stopCommand",
	"Deployment.spec.template.spec.nodeSelector":                                         "eks.nodeSelector",
	"Deployment.spec.template.spec.tolerations":                                          "eks.tolerations",
	"Deployment.spec.template.spec.affinity":                                             "eks.affinity",
	"Deployment.spec.template.spec.topologySpreadConstraints":                            "eks.topologySpread",
	"Deployment.spec.template.spec.securityContext":                                      "eks.podSecurity",
	"Deployment.spec.template.spec.terminationGracePeriodSeconds":                        "stopGrace",
	"Deployment.spec.template.spec.serviceAccountName":                                   "eks.serviceAccount",
	"Deployment.spec.template.metadata.annotations":                                      "eks.podAnnotations",
	"Service.spec.ports":                                                                 "ports",
	"Service.spec.type":                                                                  "expose / eks.serviceType",
	"Service.metadata.annotations":                                                       "eks.serviceAnnotations",
	"HorizontalPodAutoscaler.spec.minReplicas":                                           "autoscale.min",
	"HorizontalPodAutoscaler.spec.maxReplicas":                                           "autoscale.max",
	"HorizontalPodAutoscaler.spec.metrics":                                               "autoscale.cpu / memory",
}

var listItem = regexp.MustCompile(`\[[^\]]*\]`)

// coveredBy is the spec field that says path (or a field inside it), if any.
func coveredBy(path string) (string, bool) {
	for p := path; p != ""; {
		if f, ok := covered[p]; ok {
			return f, true
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return "", false
}

// flatten lists the leaf paths a merge patch sets (list items left out).
func flatten(prefix string, v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			*out = append(*out, prefix)
		}
		for k, c := range x {
			flatten(prefix+"."+k, c, out)
		}
	case []any:
		if len(x) == 0 {
			*out = append(*out, prefix)
		}
		for _, c := range x {
			flatten(prefix, c, out)
		}
	default:
		*out = append(*out, prefix)
	}
}

func checkOverrides(in *Input, r report) {
	a := in.App
	for i, o := range a.ECS.Overrides {
		if f, ok := coveredBy(listItem.ReplaceAllString(o.Path, "")); ok {
			r.at(fmt.Sprintf("ecs.overrides[%d].path", i), spec.TargetECS, "say it with "+f+", or disable this rule with the reason",
				"%s is what %s says: the override wins silently, and the spec no longer shows what is deployed", o.Path, f)
		}
	}
	for i, p := range a.EKS.Patches {
		var paths []string
		flatten(p.Kind, p.Patch, &paths)
		for _, op := range p.JSONPatch {
			var segs []string
			for _, s := range strings.Split(strings.TrimPrefix(op.Path, "/"), "/") {
				if s != "-" && strings.Trim(s, "0123456789") != "" {
					segs = append(segs, s)
				}
			}
			paths = append(paths, p.Kind+"."+strings.Join(segs, "."))
		}
		seen := map[string]bool{}
		sort.Strings(paths)
		for _, path := range paths {
			f, ok := coveredBy(path)
			if !ok || seen[f] {
				continue
			}
			seen[f] = true
			r.at(fmt.Sprintf("eks.patches[%d]", i), spec.TargetEKS, "say it with "+f+", or disable this rule with the reason",
				"the patch sets %s, which %s says: the patch wins silently, and the spec no longer shows what is deployed", strings.TrimPrefix(path, p.Kind+"."), f)
		}
	}
}
