package spec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseCPU reads a vCPU amount ("0.5", "1", "500m") as millicores.
func ParseCPU(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if m, ok := strings.CutSuffix(s, "m"); ok {
		n, err := strconv.ParseInt(m, 10, 64)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q is not a CPU amount", s)
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) || f > 1e6 {
		return 0, fmt.Errorf("%q is not a CPU amount", s)
	}
	milli := f * 1000
	if milli != math.Trunc(milli) {
		return 0, fmt.Errorf("%q is finer than 1m", s)
	}
	return int64(milli), nil
}

// ParseMemory reads a memory size ("512Mi", "1Gi", "1.5Gi") as MiB.
func ParseMemory(s string) (int64, error) {
	s = strings.TrimSpace(s)
	num, mult := "", 0.0
	switch {
	case strings.HasSuffix(s, "Mi"):
		num, mult = strings.TrimSuffix(s, "Mi"), 1
	case strings.HasSuffix(s, "Gi"):
		num, mult = strings.TrimSuffix(s, "Gi"), 1024
	default:
		return 0, fmt.Errorf("%q has no unit", s)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || f > 1e7 {
		return 0, fmt.Errorf("%q is not a memory size", s)
	}
	mib := f * mult
	if mib != math.Trunc(mib) {
		return 0, fmt.Errorf("%q is not a whole number of MiB", s)
	}
	return int64(mib), nil
}

// ParseDuration reads a Go duration, plus whole days ("30d").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
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
