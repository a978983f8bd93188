/**
 * The checks of a scenario's files that need the workload layer (a dataset's lines, a tokenizer
 * name): the scenario names them, workload/ supplies them (workload/scenario.ts), so scenario/
 * never imports the layer above it.
 */
import type { Seg } from './messages.js';
import type { ProblemList } from './source.js';

export interface WorkloadFileChecks {
  /** A chat/completion dataset's content; problems are added at its lines. */
  dataset(problems: ProblemList, field: Seg[], abs: string, shown: string): void;
  /** `tokenizer:`: the value to keep (a built-in name or the absolute path), or undefined after adding a problem. */
  tokenizer(problems: ProblemList, field: Seg[], rel: string, abs: string, shown: string): string | undefined;
}
