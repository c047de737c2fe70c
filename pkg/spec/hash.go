package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// HashAnnotation is the tag/annotation key under which every rendered object carries the
// spec's content hash: the same hash live means nothing changed, so nothing is written.
const HashAnnotation = "shipit.dev/spec-hash"

// ManagedBy marks what shipit created, so destroy never touches anything else.
const ManagedBy = "shipit"

// Hash is a short, stable digest of the resolved spec (after environment, defaults and image
// overrides): equal specs hash equal, whatever their formatting or key order in the file.
func (a *App) Hash() string { return digest(a) }

// HashFor is the hash of what one target deploys: the other target's block is left out, so
// editing eks: never registers a new ECS task definition, and the reverse.
func (a *App) HashFor(target string) string {
	c := *a
	switch target {
	case TargetECS:
		c.EKS = EKS{}
	case TargetEKS:
		c.ECS = ECS{}
		// Sidecars and init containers carry their own ecs: block.
		c.Sidecars, c.Init = withoutECS(a.Sidecars), withoutECS(a.Init)
	}
	return digest(&c)
}

// withoutECS copies containers without their ECS-only settings.
func withoutECS(cs []Sidecar) []Sidecar {
	if cs == nil {
		return nil
	}
	out := make([]Sidecar, len(cs))
	for i, s := range cs {
		s.ECS = nil
		out[i] = s
	}
	return out
}

func digest(a *App) string {
	// lint: says how the spec is checked, not what is deployed.
	if a.Lint != nil {
		c := *a
		c.Lint = nil
		a = &c
	}
	b, err := json.Marshal(a) // maps marshal with sorted keys; Source is excluded
	if err != nil {
		panic("spec.App is always marshalable: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}
