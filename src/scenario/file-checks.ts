/**
 * The checks of a scenario's files that need the workload layer (a dataset's lines, a tokenizer
 * name): the scenario names them, workload/ supplies them (workload/scenario.ts), so scenario/
 * never imports the layer above it.
 */
import type { Seg } from './messages.js';
import type { ProblemList } from './source.js';
import type { TraceFormat } from './types.js';

export interface WorkloadFileChecks {
  /** A chat/completion dataset's content; problems are added at its lines. */
  dataset(problems: ProblemList, field: Seg[], abs: string, shown: string): void;
  /** `tokenizer:`: the value to keep (a built-in name or the absolute path), or undefined after adding a problem. */
  tokenizer(problems: ProblemList, field: Seg[], rel: string, abs: string, shown: string): string | undefined;
  /** A trace file's lines (load.type trace); its size when every line is good. */
  trace?(problems: ProblemList, field: Seg[], abs: string, shown: string, format: TraceFormat, workloads: readonly string[]): { records: number; spanMs: number } | undefined;
}
