/**
 * Report writers share one interface, `Writer<T>`: a file name and a render of T (a summary, a
 * comparison or a sweep) into its content. Each kind's writers are an explicit list (report/index.ts,
 * sweep/report.ts), and one contract test runs against every summary writer. A writer reads what it
 * renders only, never the engine.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from '../metrics/summary-types.js';
import { makeDirs } from './out-dir.js';
import { writeError } from './write-error.js';

export interface Writer<T> {
  /** The writer's name, e.g. 'json' (a report set can be limited to some names). */
  readonly name: string;
  /** The file it writes inside the report folder. */
  readonly file: string;
  /** Renders the file's content. */
  render(value: T): string;
}

/** A writer of the run's report set. */
export type ReportWriter = Writer<Summary>;

/**
 * Writes to a temporary name then renames, so no reader ever sees a half-written file. A failed
 * write (a full disk) leaves no temporary file behind and throws E_WRITE (exit 4).
 */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw writeError([path], e);
  }
}

export interface WriteOutcome {
  written: string[];
  failed: string[];
  cause: unknown;
}

/**
 * Writes each of `writers` (those named in `names`, when given) into `dir`. One that fails (a full
 * disk) does not stop the others: the smaller files may still fit. Returns the files written and
 * those that were not, with why.
 */
export function tryWriteAll<T>(value: T, dir: string, writers: readonly Writer<T>[], names?: readonly string[]): WriteOutcome {
  makeDirs(dir);
  const written: string[] = [];
  const failed: string[] = [];
  let cause: unknown;
  for (const w of writers) {
    if (names && !names.includes(w.name)) continue;
    const path = join(dir, w.file);
    try {
      writeFileAtomic(path, w.render(value));
      written.push(path);
    } catch (e) {
      failed.push(path);
      cause ??= (e as Error).cause ?? e;
    }
  }
  return { written, failed, cause };
}

/** tryWriteAll, throwing E_WRITE (exit 4) that names the files not written. */
export function writeAll<T>(value: T, dir: string, writers: readonly Writer<T>[], names?: readonly string[]): string[] {
  const r = tryWriteAll(value, dir, writers, names);
  if (r.failed.length > 0) throw writeError(r.failed, r.cause);
  return r.written;
}
