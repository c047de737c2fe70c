package spec

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Bounds that keep every size far from int64/int32 overflow. No platform runs a container
// larger than these (Fargate's largest task is 16 vCPU / 120 GiB; Kubernetes nodes are
// smaller than 1,000 vCPU / 64 TiB).
const (
	maxCPUMillis = 1_000_000 * 1000 // 1,000,000 vCPU
	maxMemoryMiB = 1 << 30          // 1 PiB
)

// ParseCPU reads a vCPU amount the way Kubernetes reads a quantity ("0.5", "2.01", "1",
// "500m", "0.0625") as millicores, rounding a finer amount up to the next millicore as the
// API server does.
func ParseCPU(s string) (int64, error) {
	s = strings.TrimSpace(s)
	q, err := resource.ParseQuantity(s)
	if err != nil || q.Sign() <= 0 {
		return 0, fmt.Errorf("%q is not a CPU amount", s)
	}
	if q.Cmp(*resource.NewQuantity(maxCPUMillis/1000, resource.DecimalSI)) > 0 {
		return 0, fmt.Errorf("%q is more CPU than any platform runs", s)
	}
	return q.MilliValue(), nil
}

// ParseCPURequest is ParseCPU that also takes 0: a container may ask for no guaranteed share
// (ECS's default container cpu, a Kubernetes request of 0).
func ParseCPURequest(s string) (int64, error) {
	if q, err := resource.ParseQuantity(strings.TrimSpace(s)); err == nil && q.IsZero() {
		return 0, nil
	}
	return ParseCPU(s)
}

// ParseMemory reads a memory size as MiB: a Kubernetes quantity with a unit ("512Mi", "1Gi",
// "1.5Gi", "100M", "1G"), rounded up to a whole MiB. A bare number is refused: ECS reads it
// as MiB and Kubernetes as bytes, so it would mean two different sizes.
func ParseMemory(s string) (int64, error) {
	b, err := ParseMemoryBytes(s)
	if err != nil {
		return 0, err
	}
	return (b + mib - 1) / mib, nil
}

const mib = 1 << 20

// ParseMemoryBytes is ParseMemory in bytes.
func ParseMemoryBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s != "" && strings.IndexFunc(s[len(s)-1:], unicode.IsLetter) < 0 {
		return 0, fmt.Errorf("%q has no unit", s)
	}
	q, err := resource.ParseQuantity(s)
	if err != nil || q.Sign() <= 0 {
		return 0, fmt.Errorf("%q is not a memory size", s)
	}
	if q.Cmp(*resource.NewQuantity(maxMemoryMiB*mib, resource.BinarySI)) > 0 {
		return 0, fmt.Errorf("%q is more memory than any platform runs", s)
	}
	return q.Value(), nil
}

// ParseDuration reads a Go duration, plus whole days ("30d").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 100_000 { // beyond ~270 years a Duration overflows
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	return d, nil
}

// ParsePercent reads "25%" (or "25") as 25.
func ParsePercent(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	if err != nil || n < 0 || n > 100 {
		return 0, fmt.Errorf("%q is not a percentage from 0%% to 100%%", s)
	}
	return n, nil
}

// FormatCPU prints millicores the way the spec writes them ("0.5 vCPU").
func FormatCPU(milli int64) string {
	return strconv.FormatFloat(float64(milli)/1000, 'f', -1, 64) + " vCPU"
}

// FormatMemory prints MiB as GiB when whole ("2 GiB"), else MiB.
func FormatMemory(mib int64) string {
	if mib%1024 == 0 {
		return fmt.Sprintf("%d GiB", mib/1024)
	}
	if mib > 1024 && (mib*10)%1024 == 0 {
		return strconv.FormatFloat(float64(mib)/1024, 'f', -1, 64) + " GiB"
	}
	return fmt.Sprintf("%d MiB", mib)
}

// Resolved sizes and durations. Load has validated every field, so these never fail on an
// App it returned; on an App built by hand they return zero values for bad input.

// CPUMillis is the app's whole size (the ECS task, the sum of the pod's containers).
func (a *App) CPUMillis() int64 { n, _ := ParseCPU(a.CPU); return n }

// MemoryMiB is the app's whole memory size.
func (a *App) MemoryMiB() int64 { n, _ := ParseMemory(a.Memory); return n }

// CPUMillis of one sidecar.
func (s Sidecar) CPUMillis() int64 { n, _ := ParseCPU(s.CPU); return n }

// MemoryMiB of one sidecar.
func (s Sidecar) MemoryMiB() int64 { n, _ := ParseMemory(s.Memory); return n }

// MainCPUMillis is what is left for the app container once the sidecars are carved out.
func (a *App) MainCPUMillis() int64 {
	n := a.CPUMillis()
	for _, s := range a.Sidecars {
		n -= s.CPUMillis()
	}
	return n
}

// MainMemoryMiB is the app container's memory once the sidecars are carved out.
func (a *App) MainMemoryMiB() int64 {
	n := a.MemoryMiB()
	for _, s := range a.Sidecars {
		n -= s.MemoryMiB()
	}
	return n
}

// RolloutTimeout is rollout.timeout as a duration.
func (a *App) RolloutTimeout() time.Duration { d, _ := ParseDuration(a.Rollout.Timeout); return d }

// AutoRollback reports rollout.autoRollback (default true).
func (a *App) AutoRollback() bool { return a.Rollout.AutoRollback == nil || *a.Rollout.AutoRollback }

// MaxSurgePercent and MaxUnavailablePercent are the rollout percentages.
func (a *App) MaxSurgePercent() int { n, _ := ParsePercent(a.Rollout.MaxSurge); return n }

// MaxUnavailablePercent is rollout.maxUnavailable as a number.
func (a *App) MaxUnavailablePercent() int { n, _ := ParsePercent(a.Rollout.MaxUnavailable); return n }

// LogRetentionDays is logs.retention in days.
func (a *App) LogRetentionDays() int {
	d, _ := ParseDuration(a.Logs.Retention)
	return int(d / (24 * time.Hour))
}

// Seconds of a health duration field.
func Seconds(s string) int { d, _ := ParseDuration(s); return int(d / time.Second) }
