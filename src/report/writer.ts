/**
 * Report writers share one interface and are registered by name; one contract test runs against
 * every writer. A writer reads the summary only, never the engine.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from '../metrics/summary.js';

export interface ReportWriter {
  /** Registry name, e.g. 'json'. */
  readonly name: string;
  /** The file it writes inside the report folder. */
  readonly file: string;
  /** Renders the file's content from a summary. */
  render(summary: Summary): string;
}

/** Writes to a temporary name then renames, so no reader ever sees a half-written file. */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

const registry = new Map<string, ReportWriter>();

export function registerWriter(w: ReportWriter): void {
  registry.set(w.name, w);
}

export function writers(): ReportWriter[] {
  return [...registry.values()];
}

export function writeReports(summary: Summary, dir: string, names?: readonly string[]): string[] {
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (const w of writers()) {
    if (names && !names.includes(w.name)) continue;
    const path = join(dir, w.file);
    writeFileAtomic(path, w.render(summary));
    out.push(path);
  }
  return out;
}
