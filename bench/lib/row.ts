/** One line of the benchmark table: a figure measured side by side with its baseline. */
export interface BenchRow {
  /** What is measured, e.g. "start latency p50". */
  name: string;
  value: number;
  unit: string;
  /** The baseline measured in the same run, e.g. "cold child_process.fork". */
  baseline?: string;
  baselineValue?: number;
  /** How sidex compares: a human ratio such as "21.3x faster" or "0.95x". */
  ratio?: string;
  /** The target, as written in the issue, e.g. ">= 15x faster". */
  target?: string;
  /** Whether the target is met; undefined when there is no target. */
  pass?: boolean;
}

export type BenchSuite = () => Promise<BenchRow[]>;

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
