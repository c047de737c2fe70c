package cost

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// defaultPrices is the price file shipped with shipit: its date and sources are in it, and
// `shipit cost` prints them, since prices change and a stale figure must be visible.
//
//go:embed prices.json
var defaultPrices []byte

// Prices is the price file: per region, what Fargate, the EKS control plane and a reference
// node cost per hour.
type Prices struct {
	Date     string            `json:"date"`
	Currency string            `json:"currency"`
	Sources  []string          `json:"sources"`
	Note     string            `json:"note,omitempty"`
	Regions  map[string]Region `json:"regions"`
}

// Region holds one region's prices.
type Region struct {
	Fargate        Fargate `json:"fargate"`
	EKSClusterHour float64 `json:"eksClusterHour"`
	Node           *Node   `json:"node,omitempty"`
}

// Fargate prices one task or pod by its vCPU and memory, per hour. Spot prices are optional:
// a region without them cannot price a Spot capacity mix, and says so.
type Fargate struct {
	X86           Rate    `json:"x86"`
	ARM64         *Rate   `json:"arm64,omitempty"`
	SpotX86       *Rate   `json:"spotX86,omitempty"`
	SpotARM64     *Rate   `json:"spotArm64,omitempty"`
	StorageGBHour float64 `json:"storageGBHour"`
}

// Rate is a per-vCPU-hour and per-GB-hour price.
type Rate struct {
	VCPUHour float64 `json:"vcpuHour"`
	GBHour   float64 `json:"gbHour"`
}

// Node is the reference EC2 instance a node group of the cluster runs: an app on nodes is
// charged its share of one.
type Node struct {
	Type      string  `json:"type"`
	VCPU      float64 `json:"vcpu"`
	MemoryGiB float64 `json:"memoryGiB"`
	Hour      float64 `json:"hour"`
}

// DefaultPrices returns the price file shipped with shipit.
func DefaultPrices() (*Prices, error) { return parsePrices("prices.json (built in)", defaultPrices) }

// LoadPrices reads a price file in the same shape (`--prices FILE`).
func LoadPrices(path string) (*Prices, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parsePrices(path, b)
}

func parsePrices(name string, b []byte) (*Prices, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields() // a misspelt price must not read as a zero
	var p Prices
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: %v (see the built-in price file's shape in `shipit cost --help`)", name, err)
	}
	if len(p.Regions) == 0 {
		return nil, fmt.Errorf("%s: no regions", name)
	}
	for r, reg := range p.Regions {
		if reg.Fargate.X86.VCPUHour <= 0 || reg.Fargate.X86.GBHour <= 0 {
			return nil, fmt.Errorf("%s: regions.%s.fargate.x86 needs vcpuHour and gbHour above 0", name, r)
		}
		if n := reg.Node; n != nil && (n.VCPU <= 0 || n.MemoryGiB <= 0 || n.Hour <= 0) {
			return nil, fmt.Errorf("%s: regions.%s.node needs vcpu, memoryGiB and hour above 0", name, r)
		}
	}
	return &p, nil
}

// Region returns a region's prices, or an error listing the regions the file knows.
func (p *Prices) Region(name string) (Region, error) {
	if r, ok := p.Regions[name]; ok {
		return r, nil
	}
	known := make([]string, 0, len(p.Regions))
	for r := range p.Regions {
		known = append(known, r)
	}
	sort.Strings(known)
	return Region{}, fmt.Errorf("no prices for region %q (the price file has %s): pass --prices FILE with that region's figures", name, strings.Join(known, ", "))
}
