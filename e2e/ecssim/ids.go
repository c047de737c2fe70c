package ecssim

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
)

const (
	// defaultAccount is moto's account when a call has no x-moto-account-id header.
	defaultAccount = "123456789012"
	// defaultRegion is used when a call carries no SigV4 credential scope.
	defaultRegion = "us-east-1"
)

// idGen makes ids in real ECS formats. It is not safe for concurrent use: the simulator calls it
// under its lock, which also makes ids reproducible from a seed.
type idGen struct{ r *rand.Rand }

func newIDGen(seed uint64) *idGen {
	return &idGen{r: rand.New(rand.NewPCG(seed, seed^0x5eed))}
}

// deploymentID looks like ECS's "ecs-svc/" followed by 19 digits.
func (g *idGen) deploymentID() string {
	return fmt.Sprintf("ecs-svc/%d%018d", 1+g.r.IntN(9), g.r.Int64N(1e18))
}

// taskID is 32 lowercase hex digits, the id format of Fargate tasks.
func (g *idGen) taskID() string {
	return fmt.Sprintf("%016x%016x", g.r.Uint64(), g.r.Uint64())
}

// uuid is a random version-4 UUID, the format of service event ids.
func (g *idGen) uuid() string {
	a, b := g.r.Uint64(), g.r.Uint64()
	a = a&^0xf000 | 0x4000
	b = b&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// newRequestID is for x-amzn-RequestId on answers the simulator writes itself; it needs no
// reproducibility, so it uses the global source instead of taking the lock.
func newRequestID() string {
	return (&idGen{r: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}).uuid()
}

// scope is the account and region a call addresses; moto keeps separate state for each.
type scope struct{ account, region string }

var credentialRegion = regexp.MustCompile(`Credential=[^/]+/\d{8}/([a-z0-9-]+)/`)

// scopeOf reads the account from moto's x-moto-account-id header and the region from the
// SigV4 credential scope, the same way moto does, so the simulator's state lines up with moto's.
func scopeOf(r *http.Request) scope {
	sc := scope{account: r.Header.Get("x-moto-account-id"), region: defaultRegion}
	if sc.account == "" {
		sc.account = defaultAccount
	}
	if m := credentialRegion.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		sc.region = m[1]
	}
	return sc
}

// clusterName accepts what ECS accepts in a "cluster" field: a name, an ARN, or nothing
// (the "default" cluster).
func clusterName(ref string) string {
	if ref == "" {
		return "default"
	}
	if i := strings.Index(ref, ":cluster/"); strings.HasPrefix(ref, "arn:") && i >= 0 {
		return ref[i+len(":cluster/"):]
	}
	return ref
}

// lastSegment turns a service or task ARN (either ARN format, with or without the cluster)
// into its name or id; a plain name comes back unchanged.
func lastSegment(ref string) string {
	return ref[strings.LastIndexByte(ref, '/')+1:]
}

func clusterARN(sc scope, cluster string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:cluster/%s", sc.region, sc.account, cluster)
}

func taskARN(sc scope, cluster, id string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/%s", sc.region, sc.account, cluster, id)
}
