// RocketRide's TASK_METRICS of a task, sampled from its execution's record
// (CPU time and memory of its process tree); TASK_TOKENS are all 0, as sidex
// bills nothing.
import type { TaskMetrics, TaskTokens } from '@sidex/protocol';

const MB = 1024 * 1024;
const round = (n: number) => Math.round(n * 100) / 100;

export const NO_TOKENS: TaskTokens = { cpu_utilization: 0, cpu_memory: 0, gpu_memory: 0, gpu_inference: 0, custom: {}, total: 0 };

export class MetricsSampler {
  private last: { at: number; cpuMicros: number } | undefined;
  private samples = 0;
  private sumCpu = 0;
  private sumMemory = 0;
  private current: TaskMetrics = emptyMetrics();

  /** One sample of the process's usage so far. */
  sample(usage: { cpuMicros: number; memory: { current: number; peak: number } }, at = Date.now()): void {
    const m = this.current;
    const memoryMb = round(usage.memory.current / MB);
    let cpu = 0;
    if (this.last && at > this.last.at) cpu = round(Math.min(100, Math.max(0, ((usage.cpuMicros - this.last.cpuMicros) / 1000 / (at - this.last.at)) * 100)));
    this.last = { at, cpuMicros: usage.cpuMicros };
    this.samples++;
    this.sumCpu += cpu;
    this.sumMemory += memoryMb;
    this.current = {
      ...m,
      cpu_percent: cpu,
      cpu_memory_mb: memoryMb,
      peak_cpu_percent: Math.max(m.peak_cpu_percent, cpu),
      peak_cpu_memory_mb: Math.max(m.peak_cpu_memory_mb, round(usage.memory.peak / MB), memoryMb),
      avg_cpu_percent: round(this.sumCpu / this.samples),
      avg_cpu_memory_mb: round(this.sumMemory / this.samples),
    };
  }

  /** Now, or (ended) with the current values zeroed and the peaks and averages kept. */
  metrics(ended: boolean): TaskMetrics {
    return ended ? { ...this.current, cpu_percent: 0, cpu_memory_mb: 0 } : { ...this.current };
  }
}

export function emptyMetrics(): TaskMetrics {
  return { cpu_percent: 0, cpu_memory_mb: 0, gpu_memory_mb: 0, peak_cpu_percent: 0, peak_cpu_memory_mb: 0, peak_gpu_memory_mb: 0, avg_cpu_percent: 0, avg_cpu_memory_mb: 0, avg_gpu_memory_mb: 0 };
}
