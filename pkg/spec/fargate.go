package spec

import "fmt"

// FargateSize is one task size Fargate can run: CPU in millicores, memory in MiB.
type FargateSize struct{ CPUMillis, MemoryMiB int64 }

func (s FargateSize) String() string {
	return FormatCPU(s.CPUMillis) + " / " + FormatMemory(s.MemoryMiB)
}

// fargateTable lists, per CPU size, the memory range and step Fargate accepts (AWS's table of
// supported task sizes).
var fargateTable = []struct {
	cpu, minMiB, maxMiB, stepMiB int64
}{
	{250, 512, 2048, 0}, // 0.25 vCPU: 512 MiB, 1 GiB, 2 GiB
	{500, 1024, 4096, 1024},
	{1000, 2048, 8192, 1024},
	{2000, 4096, 16384, 1024},
	{4000, 8192, 30720, 1024},
	{8000, 16384, 61440, 4096},
	{16000, 32768, 122880, 8192},
}

// FargateSizes returns every valid size, smallest first.
func FargateSizes() []FargateSize {
	var out []FargateSize
	for _, r := range fargateTable {
		if r.stepMiB == 0 {
			for _, m := range []int64{512, 1024, 2048} {
				out = append(out, FargateSize{r.cpu, m})
			}
			continue
		}
		for m := r.minMiB; m <= r.maxMiB; m += r.stepMiB {
			out = append(out, FargateSize{r.cpu, m})
		}
	}
	return out
}

// IsFargateSize reports whether Fargate runs exactly this CPU/memory pair.
func IsFargateSize(cpu, mem int64) bool {
	for _, s := range FargateSizes() {
		if s.CPUMillis == cpu && s.MemoryMiB == mem {
			return true
		}
	}
	return false
}

// NearestFargateSize is the smallest valid size that holds cpu and mem (the cheapest one that
// fits), or the largest size when nothing does.
func NearestFargateSize(cpu, mem int64) FargateSize {
	sizes := FargateSizes()
	for _, s := range sizes {
		if s.CPUMillis >= cpu && s.MemoryMiB >= mem {
			return s
		}
	}
	return sizes[len(sizes)-1]
}

// memoryRange describes what memory a CPU size takes, for messages.
func memoryRange(cpu int64) string {
	for _, r := range fargateTable {
		if r.cpu == cpu {
			if r.stepMiB == 0 {
				return "512 MiB, 1 GiB or 2 GiB"
			}
			return fmt.Sprintf("%s to %s in %s steps", FormatMemory(r.minMiB), FormatMemory(r.maxMiB), FormatMemory(r.stepMiB))
		}
	}
	return ""
}

// ECS task CPU units are 1024 per vCPU.
func CPUUnits(milli int64) int64 { return milli * 1024 / 1000 }
