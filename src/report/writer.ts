/**
 * Report writers share one interface and are registered by name; one contract test runs against
 * every writer. A writer reads the summary only, never the engine.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from '../metrics/summary-types.js';
import { makeDirs } from './out-dir.js';
import { writeError } from './write-error.js';

export interface ReportWriter {
  /** Registry name, e.g. 'json'. */
  readonly name: string;
  /** The file it writes inside the report folder. */
  readonly file: string;
  /** Renders the file's content from a summary. */
  render(summary: Summary): string;
}

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

const registry = new Map<string, ReportWriter>();

export function registerWriter(w: ReportWriter): void {
  registry.set(w.name, w);
}

export function writers(): ReportWriter[] {
  return [...registry.values()];
}

/**
 * Writes every registered report. One that fails (a full disk) does not stop the others: the
 * smaller files may still fit. Returns the files written and those that were not, with why.
 */
export function tryWriteReports(summary: Summary, dir: string, names?: readonly string[]): { written: string[]; failed: string[]; cause: unknown } {
  makeDirs(dir);
  const written: string[] = [];
  const failed: string[] = [];
  let cause: unknown;
  for (const w of writers()) {
    if (names && !names.includes(w.name)) continue;
    const path = join(dir, w.file);
    try {
      writeFileAtomic(path, w.render(summary));
      written.push(path);
    } catch (e) {
      failed.push(path);
      cause ??= (e as Error).cause ?? e;
    }
  }
  return { written, failed, cause };
}

/** tryWriteReports, throwing E_WRITE (exit 4) that names the files not written. */
export function writeReports(summary: Summary, dir: string, names?: readonly string[]): string[] {
  const r = tryWriteReports(summary, dir, names);
  if (r.failed.length > 0) throw writeError(r.failed, r.cause);
  return r.written;
}
