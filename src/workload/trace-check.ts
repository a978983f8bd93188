/**
 * A trace file is read in full when the scenario is checked: a bad line is a scenario problem at
 * its file:line (exit 2, and `validate` finds it), not a worker that fails mid-run.
 */
import { ServebenchError } from '../errors.js';
import type { Seg } from '../scenario/messages.js';
import type { ProblemList } from '../scenario/source.js';
import type { TraceFormat } from '../scenario/types.js';
import { readTrace } from './trace-reader.js';

const MAX_LINE_PROBLEMS = 10;

export function checkTraceFile(problems: ProblemList, field: Seg[], abs: string, shown: string, format: TraceFormat, workloads: readonly string[]): { records: number; spanMs: number } | undefined {
  try {
    const r = readTrace(abs, shown, format, workloads, () => undefined, MAX_LINE_PROBLEMS);
    for (const p of r.problems) problems.external(p.file, p.line, 1, field, p.message);
    if (r.badLines > MAX_LINE_PROBLEMS) problems.add(field, 'value', `${shown}: ${r.badLines - MAX_LINE_PROBLEMS} more bad lines`, Infinity);
    return r.problems.length === 0 ? { records: r.records, spanMs: r.spanMs } : undefined;
  } catch (e) {
    if (!(e instanceof ServebenchError)) throw e;
    problems.add(field, 'value', e.message);
    return undefined;
  }
}
