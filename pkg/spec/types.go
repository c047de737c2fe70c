// This file holds the spec's Go types: one struct per YAML block, with the comments the README
// reference is written from. It is long because the spec is (about 90 fields, each with why it
// exists); the scheduling and disruption types live in types_sched.go.

package spec

import "strings"

// App is a loaded spec: one app, as written, with the chosen environment merged in and the
// defaults applied. The yaml tags are the file's field names; the json tags mirror them so the
// resolved spec can be printed and hashed.
type App struct {
	Version int    `yaml:"version" json:"version"`
	Name    string `yaml:"name" json:"name"`
	Image   string `yaml:"image" json:"image"`
	// ContainerName names the app container when it is not the app's name (adopting an ECS
	// task definition or a Deployment whose container has its own name).
	ContainerName string    `yaml:"containerName,omitempty" json:"containerName,omitempty"`
	Command       []string  `yaml:"command,omitempty" json:"command,omitempty"`
	Args          []string  `yaml:"args,omitempty" json:"args,omitempty"`
	Port          int       `yaml:"port,omitempty" json:"port,omitempty"`
	Ports         []Port    `yaml:"ports,omitempty" json:"ports,omitempty"`
	CPU           string    `yaml:"cpu,omitempty" json:"cpu,omitempty"`
	Memory        string    `yaml:"memory,omitempty" json:"memory,omitempty"`
	Requests      *Requests `yaml:"requests,omitempty" json:"requests,omitempty"`
	// Limits caps the app container below what the task leaves it (ECS container memory,
	// Kubernetes limits); default: all of it.
	Limits    *Limits           `yaml:"limits,omitempty" json:"limits,omitempty"`
	Security  *Security         `yaml:"security,omitempty" json:"security,omitempty"`
	Replicas  *int              `yaml:"replicas,omitempty" json:"replicas,omitempty"`
	Autoscale *Autoscale        `yaml:"autoscale,omitempty" json:"autoscale,omitempty"`
	Env       map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
	Secrets   map[string]string `yaml:"secrets,omitempty" json:"secrets,omitempty"`
	Health    *Health           `yaml:"health,omitempty" json:"health,omitempty"`
	Expose    string            `yaml:"expose,omitempty" json:"expose,omitempty"`
	Role      string            `yaml:"role,omitempty" json:"role,omitempty"`
	Labels    map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Volumes   []Volume          `yaml:"volumes,omitempty" json:"volumes,omitempty"`
	Sidecars  []Sidecar         `yaml:"sidecars,omitempty" json:"sidecars,omitempty"`
	// DependsOn orders the app container's start on ECS (wait for a sidecar).
	DependsOn []DependsOn `yaml:"dependsOn,omitempty" json:"dependsOn,omitempty"`
	// Init containers run one after another before the app and its sidecars start, and must
	// succeed (Kubernetes initContainers; ECS non-essential containers every other container
	// depends on with condition SUCCESS).
	Init []Sidecar `yaml:"init,omitempty" json:"init,omitempty"`
	// StopGrace is how long a container has to stop after SIGTERM: ECS stopTimeout,
	// Kubernetes terminationGracePeriodSeconds. Default: the platform's (30 s).
	StopGrace string `yaml:"stopGrace,omitempty" json:"stopGrace,omitempty"`
	// StopCommand runs in the app container before it is sent SIGTERM (Kubernetes preStop
	// exec hook), e.g. [sleep, "5"] so that callers stop sending before the app stops
	// listening. ECS has no such hook: a warning says so.
	StopCommand []string      `yaml:"stopCommand,omitempty" json:"stopCommand,omitempty"`
	Rollout     RolloutPolicy `yaml:"rollout,omitempty" json:"rollout"`
	Logs        Logs          `yaml:"logs,omitempty" json:"logs"`
	ECS         ECS           `yaml:"ecs,omitempty" json:"ecs"`
	EKS         EKS           `yaml:"eks,omitempty" json:"eks"`

	// Environments are overlays merged by Load; they never reach the resolved App. The field
	// exists so the strict decoder and the JSON Schema know the key.
	// Lint configures `shipit lint` for this app: rules switched off, each with its reason.
	Lint *Lint `yaml:"lint,omitempty" json:"lint,omitempty"`

	Environments map[string]map[string]any `yaml:"environments,omitempty" json:"environments,omitempty"`

	// Where the spec came from, for messages; not part of the spec itself.
	Source Source `yaml:"-" json:"-"`
}

// Port is one container port.
type Port struct {
	Name     string `yaml:"name,omitempty" json:"name,omitempty"`
	Port     int    `yaml:"port" json:"port"`
	Protocol string `yaml:"protocol,omitempty" json:"protocol,omitempty"`
	// ServicePort is the port callers use on Kubernetes (a Service's 80 in front of the
	// container's 8080). Default: the container port.
	ServicePort int `yaml:"servicePort,omitempty" json:"servicePort,omitempty"`
	// ServicePortName names the Service's port when it is not the container port's name (a
	// published Service whose port is http in front of a container port http-server).
	ServicePortName string `yaml:"servicePortName,omitempty" json:"servicePortName,omitempty"`
	// NodePort fixes the port every node opens for it (eks.serviceType: NodePort; Kubernetes
	// only). Default: one the cluster picks.
	NodePort int `yaml:"nodePort,omitempty" json:"nodePort,omitempty"`
	// Expose false keeps the port inside the task or pod (metrics, admin): not in the
	// Service, not behind the load balancer. Default true.
	Expose *bool `yaml:"expose,omitempty" json:"expose,omitempty"`
}

// Exposed reports whether callers reach the port (ports[].expose, default true).
func (p Port) Exposed() bool { return p.Expose == nil || *p.Expose }

// ExposedPorts are the ports callers reach, in spec order.
func (a *App) ExposedPorts() []Port {
	var out []Port
	for _, p := range a.Ports {
		if p.Exposed() {
			out = append(out, p)
		}
	}
	return out
}

// Autoscale bounds the replica count and sets target average utilisation in percent.
type Autoscale struct {
	Min    int `yaml:"min" json:"min"`
	Max    int `yaml:"max" json:"max"`
	CPU    int `yaml:"cpu,omitempty" json:"cpu,omitempty"`
	Memory int `yaml:"memory,omitempty" json:"memory,omitempty"`
	// Requests is the target of load balancer requests per task (ECS: the ALB's
	// ALBRequestCountPerTarget, which needs ecs.targetGroup and ecs.loadBalancer; Kubernetes
	// has no such metric without an adapter).
	Requests int `yaml:"requests,omitempty" json:"requests,omitempty"`
}

// Health is the app's health check: an HTTP path (probes, load balancer), a TCP or gRPC port,
// and/or a command (ECS container health check, Kubernetes exec probe). It is the readiness
// probe, and the liveness probe too unless liveness says otherwise.
type Health struct {
	Path    string            `yaml:"path,omitempty" json:"path,omitempty"`
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// TCP checks that the port accepts a connection; GRPC calls the gRPC health service on it.
	TCP          bool     `yaml:"tcp,omitempty" json:"tcp,omitempty"`
	GRPC         *GRPC    `yaml:"grpc,omitempty" json:"grpc,omitempty"`
	Port         int      `yaml:"port,omitempty" json:"port,omitempty"`
	Command      []string `yaml:"command,omitempty" json:"command,omitempty"`
	Interval     string   `yaml:"interval,omitempty" json:"interval,omitempty"`
	Timeout      string   `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	Failures     int      `yaml:"failures,omitempty" json:"failures,omitempty"`
	Successes    int      `yaml:"successes,omitempty" json:"successes,omitempty"`
	InitialDelay string   `yaml:"initialDelay,omitempty" json:"initialDelay,omitempty"`
	Grace        string   `yaml:"grace,omitempty" json:"grace,omitempty"`
	// Liveness, when set, is a different check for "restart me" than for "send me traffic"
	// (a readiness path that checks dependencies must not restart pods during an outage).
	// Its own liveness and grace are not used. Off: true turns liveness off.
	Liveness *Health `yaml:"liveness,omitempty" json:"liveness,omitempty"`
	// Startup, when set, is the check a slow starter passes once before readiness and liveness
	// begin (a Kubernetes startup probe of its own; a JVM's /healthy for up to 30 × 10 s).
	// Timings it leaves out come from health, but not initialDelay or successes. With grace,
	// grace sizes its failures; on ECS only its window maps (startPeriod).
	Startup *Health `yaml:"startup,omitempty" json:"startup,omitempty"`
	Off     bool    `yaml:"off,omitempty" json:"off,omitempty"`
}

// MainLimits are the app container's limits: limits: where set, else what the sidecars
// leave it (millicores, MiB).
func (a *App) MainLimits() (cpu, mem int64) {
	cpu, mem = a.MainCPUMillis(), a.MainMemoryMiB()
	if l := a.Limits; l != nil {
		if n, err := ParseCPU(l.CPU); l.CPU != "" && err == nil {
			cpu = n
		}
		if n, err := ParseMemory(l.Memory); l.Memory != "" && err == nil {
			mem = n
		}
	}
	return cpu, mem
}

// MainContainer is the app container's name.
func (a *App) MainContainer() string {
	if a.ContainerName != "" {
		return a.ContainerName
	}
	return a.Name
}

// ECSCheck is the check ECS runs as its container health check, which replaces an unhealthy
// task (liveness): liveness's command when it has one, else the health command; nil when
// neither is a command (an HTTP path is the load balancer's to check on ECS).
func (h *Health) ECSCheck() *Health {
	switch {
	case h == nil:
		return nil
	case h.Liveness != nil && !h.Liveness.Off && len(h.Liveness.Command) > 0:
		return h.Liveness
	case len(h.Command) > 0:
		return h
	}
	return nil
}

// GRPC names the service a gRPC health check asks about ("" for the server as a whole).
type GRPC struct {
	Service string `yaml:"service,omitempty" json:"service,omitempty"`
}

// Volume is storage the app's containers share: mounted at path in the app container (when
// path is set) and wherever sidecars' mounts name it. Exactly one source: efs, scratch,
// secret or configMap.
type Volume struct {
	Name      string      `yaml:"name" json:"name"`
	Path      string      `yaml:"path,omitempty" json:"path,omitempty"`
	ReadOnly  bool        `yaml:"readOnly,omitempty" json:"readOnly,omitempty"`
	EFS       *EFS        `yaml:"efs,omitempty" json:"efs,omitempty"`
	Scratch   *Scratch    `yaml:"scratch,omitempty" json:"scratch,omitempty"`
	Secret    *FileSource `yaml:"secret,omitempty" json:"secret,omitempty"`
	ConfigMap *FileSource `yaml:"configMap,omitempty" json:"configMap,omitempty"`
}

// Scratch is an empty directory that lives as long as the task or pod: an ECS bind volume
// without a host path, a Kubernetes emptyDir.
type Scratch struct {
	// Memory backs it with RAM (Kubernetes medium: Memory); Fargate has no tmpfs.
	Memory    bool   `yaml:"memory,omitempty" json:"memory,omitempty"`
	SizeLimit string `yaml:"sizeLimit,omitempty" json:"sizeLimit,omitempty"`
}

// FileSource is an existing Kubernetes Secret or ConfigMap mounted as files (EKS only).
type FileSource struct {
	Name string `yaml:"name" json:"name"`
	// Items mounts only these keys, each under its own file name (Kubernetes items); default:
	// every key under its own name.
	Items []KeyToPath `yaml:"items,omitempty" json:"items,omitempty"`
}

// KeyToPath puts one key of a Secret or ConfigMap volume at a relative path, optionally with
// its own file mode (0–0777).
type KeyToPath struct {
	Key  string `yaml:"key" json:"key"`
	Path string `yaml:"path" json:"path"`
	Mode *int   `yaml:"mode,omitempty" json:"mode,omitempty"`
}

// Mount puts one of the app's volumes into a sidecar.
type Mount struct {
	Volume   string `yaml:"volume" json:"volume"`
	Path     string `yaml:"path" json:"path"`
	ReadOnly bool   `yaml:"readOnly,omitempty" json:"readOnly,omitempty"`
}

// Requests are what a container is guaranteed, below its limit: Kubernetes requests, ECS
// container cpu (a share) and memoryReservation (soft memory).
type Requests struct {
	CPU    string `yaml:"cpu,omitempty" json:"cpu,omitempty"`
	Memory string `yaml:"memory,omitempty" json:"memory,omitempty"`
	// EphemeralStorage is the container's local disk (Kubernetes ephemeral-storage). ECS sizes
	// ephemeral storage per task (ecs.ephemeralStorage), so it is honoured on EKS only.
	EphemeralStorage string `yaml:"ephemeralStorage,omitempty" json:"ephemeralStorage,omitempty"`
}

// Security is how a container runs: its user and group, a read-only root file system, and
// Linux capabilities (ECS user, readonlyRootFilesystem, linuxParameters.capabilities;
// Kubernetes securityContext).
type Security struct {
	RunAsUser              *int64 `yaml:"runAsUser,omitempty" json:"runAsUser,omitempty"`
	RunAsGroup             *int64 `yaml:"runAsGroup,omitempty" json:"runAsGroup,omitempty"`
	RunAsNonRoot           *bool  `yaml:"runAsNonRoot,omitempty" json:"runAsNonRoot,omitempty"`
	ReadOnlyRootFilesystem *bool  `yaml:"readOnlyRootFilesystem,omitempty" json:"readOnlyRootFilesystem,omitempty"`
	// FSGroup (the app's security only) owns the pod's volumes (Kubernetes pod fsGroup).
	FSGroup      *int64        `yaml:"fsGroup,omitempty" json:"fsGroup,omitempty"`
	Capabilities *Capabilities `yaml:"capabilities,omitempty" json:"capabilities,omitempty"`
}

// Capabilities are Linux capabilities to add and drop (names without CAP_, or ALL).
type Capabilities struct {
	Add  []string `yaml:"add,omitempty" json:"add,omitempty"`
	Drop []string `yaml:"drop,omitempty" json:"drop,omitempty"`
}

// EFS names an Amazon EFS file system and, optionally, an access point.
type EFS struct {
	FileSystem  string `yaml:"fileSystem" json:"fileSystem"`
	AccessPoint string `yaml:"accessPoint,omitempty" json:"accessPoint,omitempty"`
	// TransitEncryption false mounts without TLS (ECS transitEncryption DISABLED, the EFS CSI
	// driver's encryptInTransit "false"), as file systems shared with hosts that cannot run the
	// EFS mount helper's TLS tunnel need. Default true; an access point needs it on.
	TransitEncryption *bool `yaml:"transitEncryption,omitempty" json:"transitEncryption,omitempty"`
}

// Encrypted reports whether the file system is mounted with TLS (efs.transitEncryption,
// default true).
func (e *EFS) Encrypted() bool { return e.TransitEncryption == nil || *e.TransitEncryption }

// Sidecar is an extra container in the same task or pod. Its cpu and memory are carved out of
// the app's size (see README: the app's cpu/memory are the whole task's); on ECS a sidecar may
// leave them out and share the task's.
type Sidecar struct {
	Name     string    `yaml:"name" json:"name"`
	Image    string    `yaml:"image" json:"image"`
	CPU      string    `yaml:"cpu,omitempty" json:"cpu,omitempty"`
	Memory   string    `yaml:"memory,omitempty" json:"memory,omitempty"`
	Requests *Requests `yaml:"requests,omitempty" json:"requests,omitempty"`
	Security *Security `yaml:"security,omitempty" json:"security,omitempty"`
	Mounts   []Mount   `yaml:"mounts,omitempty" json:"mounts,omitempty"`
	// Ports the sidecar listens on (container ports; never exposed by the Service).
	Ports []Port `yaml:"ports,omitempty" json:"ports,omitempty"`
	// Health is the sidecar's own check (ECS container health check from its command;
	// Kubernetes probes).
	Health *Health `yaml:"health,omitempty" json:"health,omitempty"`
	// DependsOn orders start-up on ECS (container dependsOn).
	DependsOn []DependsOn `yaml:"dependsOn,omitempty" json:"dependsOn,omitempty"`
	// FireLens makes this sidecar the ECS task's log router (ECS only; on Kubernetes it is
	// an ordinary container and a warning says so).
	FireLens  *FireLens         `yaml:"firelens,omitempty" json:"firelens,omitempty"`
	Command   []string          `yaml:"command,omitempty" json:"command,omitempty"`
	Args      []string          `yaml:"args,omitempty" json:"args,omitempty"`
	Env       map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
	Essential *bool             `yaml:"essential,omitempty" json:"essential,omitempty"`
	// ECS holds what only the sidecar's ECS container definition takes (its own ulimits:
	// Envoy's nofile). Ignored on Kubernetes, like the app's ecs: block.
	ECS *SidecarECS `yaml:"ecs,omitempty" json:"ecs,omitempty"`
}

// SidecarECS is the ECS-only part of a sidecar or init container.
type SidecarECS struct {
	Ulimits []Ulimit `yaml:"ulimits,omitempty" json:"ulimits,omitempty"`
}

// RolloutPolicy is the spec's rollout: block: how a new version replaces the old one and how
// long shipit waits for it.
type RolloutPolicy struct {
	Timeout        string `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	AutoRollback   *bool  `yaml:"autoRollback,omitempty" json:"autoRollback,omitempty"`
	MaxSurge       string `yaml:"maxSurge,omitempty" json:"maxSurge,omitempty"`
	MaxUnavailable string `yaml:"maxUnavailable,omitempty" json:"maxUnavailable,omitempty"`
}

// Logs configures log retention (ECS: the CloudWatch log group).
type Logs struct {
	Retention string `yaml:"retention,omitempty" json:"retention,omitempty"`
}

// ECS holds what only the ECS target needs.
type ECS struct {
	// Region is the app's default region: --region beats it, and it beats AWS_REGION.
	Region         string   `yaml:"region,omitempty" json:"region,omitempty"`
	Cluster        string   `yaml:"cluster,omitempty" json:"cluster,omitempty"`
	ExecutionRole  string   `yaml:"executionRole,omitempty" json:"executionRole,omitempty"`
	Subnets        []string `yaml:"subnets,omitempty" json:"subnets,omitempty"`
	SecurityGroups []string `yaml:"securityGroups,omitempty" json:"securityGroups,omitempty"`
	AssignPublicIP bool     `yaml:"assignPublicIp,omitempty" json:"assignPublicIp,omitempty"`
	Capacity       string   `yaml:"capacity,omitempty" json:"capacity,omitempty"`
	// CapacityProviders mixes FARGATE and FARGATE_SPOT (base and weight), instead of one
	// capacity.
	CapacityProviders []CapacityProvider `yaml:"capacityProviders,omitempty" json:"capacityProviders,omitempty"`
	// Architecture is the task's CPU architecture (X86_64 or ARM64, Graviton).
	Architecture string `yaml:"architecture,omitempty" json:"architecture,omitempty"`
	// EphemeralStorage is the task's ephemeral storage beyond Fargate's 20 GiB (21–200 GiB).
	EphemeralStorage string `yaml:"ephemeralStorage,omitempty" json:"ephemeralStorage,omitempty"`
	// Ulimits of the app container.
	Ulimits []Ulimit `yaml:"ulimits,omitempty" json:"ulimits,omitempty"`
	// LogOptions are more awslogs options (mode: non-blocking, awslogs-create-group, …);
	// shipit's own group, region and prefix win.
	LogOptions map[string]string `yaml:"logOptions,omitempty" json:"logOptions,omitempty"`
	// DockerLabels of the app container.
	DockerLabels map[string]string `yaml:"dockerLabels,omitempty" json:"dockerLabels,omitempty"`
	// LogDriver replaces awslogs for every container that is not the FireLens router:
	// awsfirelens with its options (routed through the sidecar marked firelens), or another.
	LogDriver *LogDriver `yaml:"logDriver,omitempty" json:"logDriver,omitempty"`
	// LogGroup and LogStreamPrefix adopt existing awslogs names (default /ecs/<name>, and
	// each container's name as the prefix).
	LogGroup        string `yaml:"logGroup,omitempty" json:"logGroup,omitempty"`
	LogStreamPrefix string `yaml:"logStreamPrefix,omitempty" json:"logStreamPrefix,omitempty"`
	TargetGroup     string `yaml:"targetGroup,omitempty" json:"targetGroup,omitempty"`
	// LoadBalancer is the ALB that forwards to TargetGroup: Application Auto Scaling names the
	// pair in the resource label of request-count scaling (autoscale.requests).
	LoadBalancer string     `yaml:"loadBalancer,omitempty" json:"loadBalancer,omitempty"`
	Discovery    *Discovery `yaml:"discovery,omitempty" json:"discovery,omitempty"`

	// Service-level settings. Family is the task definition family, to adopt a service whose
	// family is not the app's name (default: the name).
	Family string `yaml:"family,omitempty" json:"family,omitempty"`
	// ServiceName is the ECS service's name, to adopt a service not named like the app
	// (CloudFormation's and Copilot's Stack-Service-AbC123; default: the name).
	ServiceName string `yaml:"serviceName,omitempty" json:"serviceName,omitempty"`
	// Exec turns on ECS Exec (enableExecuteCommand): `aws ecs execute-command` into a task.
	// The task role needs the ssmmessages permissions.
	Exec bool `yaml:"exec,omitempty" json:"exec,omitempty"`
	// PlatformVersion is the Fargate platform version (LATEST, 1.4.0, …; default LATEST).
	PlatformVersion string `yaml:"platformVersion,omitempty" json:"platformVersion,omitempty"`
	// ManagedTags turns ECS-managed tags on the tasks (aws:ecs:clusterName, …) off when
	// false; PropagateTags is where the tasks' tags come from: SERVICE (the default),
	// TASK_DEFINITION or NONE.
	ManagedTags   *bool  `yaml:"managedTags,omitempty" json:"managedTags,omitempty"`
	PropagateTags string `yaml:"propagateTags,omitempty" json:"propagateTags,omitempty"`
	// CircuitBreaker: false turns ECS's deployment circuit breaker off (and with it ECS's own
	// rollback); shipit's watch still fails fast and rolls back (rollout.autoRollback).
	CircuitBreaker *bool `yaml:"circuitBreaker,omitempty" json:"circuitBreaker,omitempty"`
	// ServiceConnect joins the service to a Cloud Map namespace through ECS Service Connect
	// (serviceConnectConfiguration): ECS adds its proxy to each task, which gives the tasks
	// short names for the namespace's other services and, with services, publishes named
	// ports of this one. Removing it turns Service Connect off on the next deploy.
	ServiceConnect *ServiceConnect `yaml:"serviceConnect,omitempty" json:"serviceConnect,omitempty"`
	// Overrides set fields of the rendered task definition and service input that the spec has
	// no field for (the long tail: linuxParameters, an exotic option), in the spirit of
	// Copilot's taskdef_overrides. Applied last, checked against the SDK's input shapes.
	Overrides []Override `yaml:"overrides,omitempty" json:"overrides,omitempty"`
	// Proxy is the task's App Mesh proxy configuration: a sidecar (Envoy) that the task's
	// traffic is redirected through, with the properties ECS hands to the CNI plugin.
	Proxy *Proxy `yaml:"proxy,omitempty" json:"proxy,omitempty"`
}

// ServiceConnect is an ECS service's Service Connect configuration.
type ServiceConnect struct {
	// Namespace is the Cloud Map namespace's name or ARN (default: the cluster's Service
	// Connect default namespace).
	Namespace string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	// Services publish ports of this app to the namespace; none for a client-only app.
	Services []ServiceConnectService `yaml:"services,omitempty" json:"services,omitempty"`
}

// ServiceConnectService publishes one named port (ports[].name or a sidecar's) to the
// namespace.
type ServiceConnectService struct {
	Port string `yaml:"port" json:"port"`
	// DiscoveryName is the Cloud Map service ECS creates (default: the port's name).
	DiscoveryName string `yaml:"discoveryName,omitempty" json:"discoveryName,omitempty"`
	// ClientAliases are the name and port clients in the namespace use (at most one).
	ClientAliases []ClientAlias `yaml:"clientAliases,omitempty" json:"clientAliases,omitempty"`
}

// ClientAlias is an endpoint of a Service Connect service: port, and a DNS name (default
// <discoveryName>.<namespace>).
type ClientAlias struct {
	Port    int    `yaml:"port" json:"port"`
	DNSName string `yaml:"dnsName,omitempty" json:"dnsName,omitempty"`
}

// Proxy is an ECS proxyConfiguration of type APPMESH (the only type ECS has).
type Proxy struct {
	// Container is the sidecar that is the proxy.
	Container string `yaml:"container" json:"container"`
	// Properties are ECS's documented names (IgnoredUID, IgnoredGID, AppPorts,
	// ProxyIngressPort, ProxyEgressPort, EgressIgnoredIPs, EgressIgnoredPorts) with their
	// values as ECS writes them (comma-separated lists; an empty value is kept).
	Properties map[string]string `yaml:"properties,omitempty" json:"properties,omitempty"`
}

// ManagedTagsOn is whether ECS tags the tasks with its managed tags (default on).
func (e ECS) ManagedTagsOn() bool { return e.ManagedTags == nil || *e.ManagedTags }

// CircuitBreakerOn is whether ECS's deployment circuit breaker watches deployments (default on).
func (e ECS) CircuitBreakerOn() bool { return e.CircuitBreaker == nil || *e.CircuitBreaker }

// CapacityProvider is one item of an ECS capacity provider strategy.
type CapacityProvider struct {
	Name   string `yaml:"name" json:"name"`
	Base   int    `yaml:"base,omitempty" json:"base,omitempty"`
	Weight int    `yaml:"weight,omitempty" json:"weight,omitempty"`
}

// LogDriver is an ECS log configuration: a driver and its options.
type LogDriver struct {
	Name    string            `yaml:"name" json:"name"`
	Options map[string]string `yaml:"options,omitempty" json:"options,omitempty"`
	// SecretOptions are options whose values ECS reads from Secrets Manager or SSM when the
	// task starts (a Datadog or Splunk key): references written as in secrets:, never values.
	SecretOptions map[string]string `yaml:"secretOptions,omitempty" json:"secretOptions,omitempty"`
}

// FireLens marks a sidecar as the task's log router (ECS firelensConfiguration).
type FireLens struct {
	Type    string            `yaml:"type" json:"type"`
	Options map[string]string `yaml:"options,omitempty" json:"options,omitempty"`
}

// DependsOn waits for another container of the task (ECS dependsOn).
type DependsOn struct {
	Container string `yaml:"container" json:"container"`
	// Condition is START, COMPLETE, SUCCESS or HEALTHY.
	Condition string `yaml:"condition" json:"condition"`
}

// Ulimit is one resource limit of a container (ECS ulimits).
type Ulimit struct {
	Name string `yaml:"name" json:"name"`
	Soft int    `yaml:"soft" json:"soft"`
	Hard int    `yaml:"hard" json:"hard"`
}

// Discovery registers the ECS service in an AWS Cloud Map namespace.
type Discovery struct {
	Namespace string `yaml:"namespace" json:"namespace"`
}

// EKS holds what only the Kubernetes target needs.
type EKS struct {
	Cluster        string `yaml:"cluster,omitempty" json:"cluster,omitempty"`
	Context        string `yaml:"context,omitempty" json:"context,omitempty"`
	Namespace      string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	ServiceAccount string `yaml:"serviceAccount,omitempty" json:"serviceAccount,omitempty"`
	// Selector adopts an existing Deployment's selector (immutable once created); default
	// app.kubernetes.io/name: <name>. ServiceName names the Service (default the app's name).
	Selector    map[string]string `yaml:"selector,omitempty" json:"selector,omitempty"`
	ServiceName string            `yaml:"serviceName,omitempty" json:"serviceName,omitempty"`
	// PublicVia says how expose: public reaches the internet: alb (an Ingress for the AWS
	// Load Balancer Controller; the default when an exposed port is HTTP) or nlb (a
	// LoadBalancer Service; the default otherwise). Ingress tunes the ALB.
	PublicVia string   `yaml:"publicVia,omitempty" json:"publicVia,omitempty"`
	Ingress   *Ingress `yaml:"ingress,omitempty" json:"ingress,omitempty"`
	// PodSecurity is the pod-level securityContext: ids every container of the pod runs with
	// unless its own security says otherwise (init containers included).
	PodSecurity *Security `yaml:"podSecurity,omitempty" json:"podSecurity,omitempty"`
	// NodeSelector and Tolerations place the pods; EnvFrom loads env from existing
	// ConfigMaps and Secrets.
	NodeSelector map[string]string `yaml:"nodeSelector,omitempty" json:"nodeSelector,omitempty"`
	Tolerations  []Toleration      `yaml:"tolerations,omitempty" json:"tolerations,omitempty"`
	EnvFrom      []EnvFrom         `yaml:"envFrom,omitempty" json:"envFrom,omitempty"`
	// Env are app container variables whose values Kubernetes supplies: the downward API
	// (the pod's namespace, name, node, IP) or one key of an existing ConfigMap or Secret.
	// They come first in the container's env, so env values can use them as $(NAME).
	Env map[string]EnvSource `yaml:"env,omitempty" json:"env,omitempty"`
	// ServiceType NodePort opens the Service's ports on every node (ports[].nodePort fixes
	// one); default ClusterIP.
	ServiceType string `yaml:"serviceType,omitempty" json:"serviceType,omitempty"`
	// PublicService puts the public NLB on a second, LoadBalancer Service of this name
	// (Online Boutique's frontend-external), so the app's own Service stays in-cluster.
	PublicService *PublicService `yaml:"publicService,omitempty" json:"publicService,omitempty"`
	// PodAnnotations go on the pod template (prometheus.io/scrape, sidecar injectors);
	// ServiceAnnotations on the Service (load balancer settings).
	PodAnnotations     map[string]string `yaml:"podAnnotations,omitempty" json:"podAnnotations,omitempty"`
	ServiceAnnotations map[string]string `yaml:"serviceAnnotations,omitempty" json:"serviceAnnotations,omitempty"`
	// CreateServiceAccount false uses an existing ServiceAccount (one shared by several apps)
	// without creating, labelling or deleting it. Default true.
	CreateServiceAccount *bool  `yaml:"createServiceAccount,omitempty" json:"createServiceAccount,omitempty"`
	SecretStore          string `yaml:"secretStore,omitempty" json:"secretStore,omitempty"`
	ParameterStore       string `yaml:"parameterStore,omitempty" json:"parameterStore,omitempty"`
	// MinReadySeconds is how long a new pod must stay ready before it counts as available
	// (and the rollout moves on); RevisionHistoryLimit is how many old ReplicaSets the
	// Deployment keeps for rollbacks (Kubernetes' default: 10). See types_sched.go for the
	// scheduling and disruption fields.
	MinReadySeconds      *int `yaml:"minReadySeconds,omitempty" json:"minReadySeconds,omitempty"`
	RevisionHistoryLimit *int `yaml:"revisionHistoryLimit,omitempty" json:"revisionHistoryLimit,omitempty"`
	// Affinity places the pods relative to nodes and to other pods (Kubernetes' own shape);
	// TopologySpread spreads the replicas across zones or nodes.
	Affinity       *Affinity        `yaml:"affinity,omitempty" json:"affinity,omitempty"`
	TopologySpread []TopologySpread `yaml:"topologySpread,omitempty" json:"topologySpread,omitempty"`
	// DisruptionBudget limits voluntary evictions (node drains, cluster upgrades): a
	// PodDisruptionBudget selecting the app's pods.
	DisruptionBudget *DisruptionBudget `yaml:"disruptionBudget,omitempty" json:"disruptionBudget,omitempty"`
	// ExtendedResources are device-plugin resources the app container needs (limits, and
	// requests equal to them): aws.amazon.com/neuron, vpc.amazonaws.com/pod-eni, …
	ExtendedResources map[string]int64 `yaml:"extendedResources,omitempty" json:"extendedResources,omitempty"`
	// Patches change rendered objects the spec has no field for (kustomize-style): a strategic
	// merge patch or JSON patch operations, per object by kind and name, applied last and checked
	// against the object's schema.
	Patches []Patch `yaml:"patches,omitempty" json:"patches,omitempty"`
}

// Ingress tunes the ALB of a public app on Kubernetes.
type Ingress struct {
	Host           string `yaml:"host,omitempty" json:"host,omitempty"`
	CertificateARN string `yaml:"certificateArn,omitempty" json:"certificateArn,omitempty"`
	// Scheme is internet-facing (default) or internal.
	Scheme string `yaml:"scheme,omitempty" json:"scheme,omitempty"`
}

// HTTPPort is the exposed port an ALB sends traffic to: the one health.path checks, else the
// first exposed port named http or https (or starting so); ok is false when none is HTTP.
func (a *App) HTTPPort() (Port, bool) {
	exposed := a.ExposedPorts()
	if h := a.Health; h != nil && h.Path != "" {
		for _, p := range exposed {
			if p.Port == h.Port {
				return p, true
			}
		}
	}
	for _, p := range exposed {
		if strings.HasPrefix(p.Name, "http") {
			return p, true
		}
	}
	return Port{}, false
}

// PublicViaALB reports whether a public app is exposed on Kubernetes through an ALB Ingress.
func (a *App) PublicViaALB() bool {
	if a.Expose != "public" {
		return false
	}
	switch a.EKS.PublicVia {
	case "alb":
		return true
	case "nlb":
		return false
	}
	if a.EKS.PublicService != nil {
		return false // a LoadBalancer Service is an NLB
	}
	_, http := a.HTTPPort()
	return http
}

// Toleration lets the pods run on tainted nodes (Kubernetes toleration).
type Toleration struct {
	Key      string `yaml:"key,omitempty" json:"key,omitempty"`
	Operator string `yaml:"operator,omitempty" json:"operator,omitempty"`
	Value    string `yaml:"value,omitempty" json:"value,omitempty"`
	Effect   string `yaml:"effect,omitempty" json:"effect,omitempty"`
	Seconds  *int64 `yaml:"seconds,omitempty" json:"seconds,omitempty"`
}

// EnvFrom loads every key of an existing ConfigMap or Secret as env (Kubernetes envFrom).
type EnvFrom struct {
	ConfigMap string `yaml:"configMap,omitempty" json:"configMap,omitempty"`
	Secret    string `yaml:"secret,omitempty" json:"secret,omitempty"`
	Prefix    string `yaml:"prefix,omitempty" json:"prefix,omitempty"`
}

// EnvSource is where one eks.env variable's value comes from: exactly one of a pod field
// (metadata.namespace, spec.nodeName, metadata.labels['app'], …), a ConfigMap key or a Secret
// key. Optional lets the pod start when the ConfigMap or Secret (or its key) is missing.
type EnvSource struct {
	Field     string `yaml:"field,omitempty" json:"field,omitempty"`
	ConfigMap string `yaml:"configMap,omitempty" json:"configMap,omitempty"`
	Secret    string `yaml:"secret,omitempty" json:"secret,omitempty"`
	Key       string `yaml:"key,omitempty" json:"key,omitempty"`
	Optional  bool   `yaml:"optional,omitempty" json:"optional,omitempty"`
}

// PublicService is the second, LoadBalancer Service of a public app (eks.publicService).
type PublicService struct {
	Name        string            `yaml:"name" json:"name"`
	Annotations map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`
}

// OwnsServiceAccount reports whether shipit creates (and so may delete) the ServiceAccount.
func (e EKS) OwnsServiceAccount() bool {
	return e.CreateServiceAccount == nil || *e.CreateServiceAccount
}

// Source records where a spec was loaded from and the position of every field, so that
// validation can point at the line that needs fixing.
type Source struct {
	File        string
	Environment string
	// Environments are the names under environments:, sorted.
	Environments []string
	positions    map[string]Pos
}

// Pos is a 1-based line and column in the spec file.
type Pos struct{ Line, Column int }

// Lint is the spec's `lint:` block.
type Lint struct {
	// Disable maps a rule id to why it does not apply here; a reason is required, so the next
	// reader knows the rule was switched off on purpose.
	Disable map[string]string `yaml:"disable,omitempty" json:"disable,omitempty"`
}

// Override sets one value in the rendered ECS inputs: path is taskDefinition.… or service.…,
// in the CLI's lowerCamel names, with list items as [N], [-] (append) or [name=VALUE]; a null
// value removes the field.
type Override struct {
	Path  string `yaml:"path" json:"path"`
	Value any    `yaml:"value" json:"value"`
}

// Patch changes one rendered Kubernetes object: Patch is a strategic merge patch (a JSON merge
// patch for custom resources), JSONPatch a list of RFC 6902 operations; exactly one is set.
// Name defaults to the one object of that kind.
type Patch struct {
	Kind      string         `yaml:"kind" json:"kind"`
	Name      string         `yaml:"name,omitempty" json:"name,omitempty"`
	Patch     map[string]any `yaml:"patch,omitempty" json:"patch,omitempty"`
	JSONPatch []PatchOp      `yaml:"jsonPatch,omitempty" json:"jsonPatch,omitempty"`
}

// PatchOp is one JSON patch operation.
type PatchOp struct {
	Op    string `yaml:"op" json:"op"`
	Path  string `yaml:"path" json:"path"`
	From  string `yaml:"from,omitempty" json:"from,omitempty"`
	Value any    `yaml:"value,omitempty" json:"value,omitempty"`
}
