/**
 * `servebench merge <dir>… --out DIR [--allow-partial]`: one run from the results of its shards.
 * The merged results.ndjson goes to --out beside the report set, so `servebench report` rebuilds
 * the merged run as it does any other.
 */
import { existsSync, statSync } from 'node:fs';
import { makeDirs } from '../report/out-dir.js';
import { basename, dirname, join, resolve } from 'node:path';
import { ServebenchError } from '../errors.js';
import { mergeShardRecords } from '../metrics/merge.js';
import { RESULTS_FILE, readRecords } from '../metrics/results-file.js';
import { writeFileAtomic } from '../report/writer.js';
import { summaryText } from '../report/console.js';
import type { Out } from './out.js';
import type { Summary } from '../metrics/summary-types.js';
import type { RunRecord, StartRecord } from '../metrics/records.js';
import { REQUESTS_FILE } from '../metrics/request-rows.js';
import { mergeRequestsFiles } from '../metrics/requests-read.js';
import { defaultOutDir, exitForSummary, finishReport } from './shared.js';
import { writeCiOutputs, type CiOutputs } from './ci-outputs.js';

export interface MergeCmdOptions extends CiOutputs {
  out?: string;
  allowPartial?: boolean;
}

export function cmdMerge(dirs: readonly string[], opts: MergeCmdOptions, o: Out): number {
  const { summary, dir, inputs } = mergeInto(dirs, opts);
  o.out(summaryText(summary, o.tty));
  const m = summary.merge!;
  o.out(`\nmerged ${m.shards.length} of ${m.shardCount} shards${m.partial ? ` (PARTIAL: missing ${m.missing.join(', ')})` : ''} from ${inputs.map((i) => basename(i.dir)).join(', ')}`);
  o.out(`reports: ${dir}\nopen ${join(dir, 'report.html')}`);
  writeCiOutputs(opts, summary, null, o);
  return exitForSummary(summary);
}

/**
 * The shards' requests.csv.gz as one, when every shard wrote one (a shard without it would leave
 * the merged file silently short); each shard's times are moved onto the earliest measured start.
 */
function mergeRequests(inputs: readonly { dir: string; records: readonly RunRecord[] }[], dir: string): void {
  const have = inputs.filter((i) => existsSync(join(i.dir, REQUESTS_FILE)));
  if (have.length === 0) return;
  if (have.length < inputs.length) {
    const missing = inputs.filter((i) => !have.includes(i)).map((i) => i.dir);
    throw new ServebenchError('E_RESULTS', `only some shards wrote ${REQUESTS_FILE}: not in ${missing.join(', ')}`, { hint: 'run every shard with --requests, or merge without it by moving the files aside' });
  }
  const startOf = (i: (typeof inputs)[number]) => (i.records.find((r) => r.type === 'start') as StartRecord | undefined)?.run.measureStartEpochMs ?? 0;
  const earliest = Math.min(...have.map(startOf));
  mergeRequestsFiles(
    have.map((i) => ({ path: join(i.dir, REQUESTS_FILE), shiftUs: Math.round((startOf(i) - earliest) * 1000) })),
    join(dir, REQUESTS_FILE),
  );
}

/** The merged run and its report set in `out`, printing nothing: the library's merge() too. */
export function mergeInto(dirs: readonly string[], opts: { out?: string; allowPartial?: boolean }): { summary: Summary; dir: string; inputs: { dir: string }[] } {
  if (dirs.length === 0) throw new ServebenchError('E_USAGE', 'name the shard results folders to merge', { hint: 'servebench merge reports/run-shard-0of2 reports/run-shard-1of2 --out reports/run' });
  const inputs = dirs.map((d) => {
    const p = resolve(d);
    const isDir = existsSync(p) && statSync(p).isDirectory();
    const file = isDir ? join(p, RESULTS_FILE) : p;
    if (!existsSync(file)) throw new ServebenchError('E_FILE', `${file} does not exist`, { hint: 'point at the folders the shards wrote (each holds results.ndjson)' });
    return { dir: isDir ? p : dirname(p), records: readRecords(file) };
  });
  const records = mergeShardRecords(inputs, { allowPartial: opts.allowPartial });
  const first = records.find((r) => r.type === 'merge')!.run;
  const dir = resolve(opts.out ?? `${defaultOutDir(first.scenario.name)}-merged`);
  if (inputs.some((i) => i.dir === dir)) throw new ServebenchError('E_USAGE', `--out ${dir} is one of the shard folders`, { hint: 'write the merged run to a new folder' });
  makeDirs(dir);
  writeFileAtomic(join(dir, RESULTS_FILE), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  mergeRequests(inputs, dir);
  return { summary: finishReport(records, dir), dir, inputs };
}
