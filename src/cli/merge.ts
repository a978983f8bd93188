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
  return { summary: finishReport(records, dir), dir, inputs };
}
