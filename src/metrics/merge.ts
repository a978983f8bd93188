/**
 * `servebench merge`: joins the results of the shards of one run (`run --shard i/n`) into the
 * records of one run. Nothing is averaged: the shards' interval records are kept as they are
 * (counters and encoded HDR histograms), only moved onto the merged run's wall-clock seconds, and
 * buildSummary() sums and merges them exactly as it does for the workers of one process.
 *
 * Alignment: shard interval i covers [measureStart_shard + i s, +1 s). Shards started with one
 * `--start-at` share their measured start to within a few ms, so a shard's intervals are moved by
 * round((measureStart_shard − measureStart_earliest) / 1 s) seconds: 0 for them, and the right
 * second for shards that were started by hand at different times.
 */
import { ServebenchError } from '../errors.js';
import { formatShardId, parseShardId, type ShardId } from '../schedule/shard.js';
import type { EndRecord, IntervalRecord, MergeRecord, RunRecord, StartRecord } from './records.js';
import { round3 } from '../util/values.js';

export interface ShardResults {
  /** Where the records came from, for messages (a run folder). */
  readonly dir: string;
  readonly records: readonly RunRecord[];
}

export interface MergeOptions {
  /** Accept an incomplete set of shards; the merged run then says which are missing. */
  readonly allowPartial?: boolean;
}

interface Shard {
  dir: string;
  id: ShardId;
  start: StartRecord;
  records: readonly RunRecord[];
}


/** Checks that the inputs are the shards of one run and returns the merged run's records. */
export function mergeShardRecords(inputs: readonly ShardResults[], opts: MergeOptions = {}): RunRecord[] {
  if (inputs.length === 0) throw new ServebenchError('E_USAGE', 'merge needs at least one shard results folder');
  const shards = inputs.map(shardOf);

  // Same scenario: one fingerprint for all (it leaves out secrets and file locations).
  const byPrint = new Map<string, Shard[]>();
  for (const s of shards) {
    const fp = s.start.run.scenarioFingerprint ?? '';
    byPrint.set(fp, [...(byPrint.get(fp) ?? []), s]);
  }
  if (byPrint.size > 1) {
    const groups = [...byPrint.entries()].map(([fp, ss]) => `  ${fp ? fp.slice(0, 12) : '(no fingerprint)'}  scenario '${ss[0].start.run.scenario.name}': ${ss.map((s) => s.dir).join(', ')}`);
    throw new ServebenchError('E_RESULTS', `these results come from different scenarios and cannot be merged:\n${groups.join('\n')}`, {
      hint: 'run every shard with the same scenario file and the same --set overrides',
    });
  }

  // One plan: the same n everywhere, each index once.
  const counts = [...new Set(shards.map((s) => s.id.count))];
  if (counts.length > 1) {
    throw new ServebenchError('E_RESULTS', `the shards split the plan in different ways: ${shards.map((s) => `${formatShardId(s.id)} (${s.dir})`).join(', ')}`, {
      hint: 'merge the shards of one run: every one was started with --shard i/n and the same n',
    });
  }
  const n = counts[0];
  const byIndex = new Map<number, Shard[]>();
  for (const s of shards) byIndex.set(s.id.index, [...(byIndex.get(s.id.index) ?? []), s]);
  const dups = [...byIndex.values()].filter((ss) => ss.length > 1);
  if (dups.length > 0) {
    throw new ServebenchError('E_RESULTS', `shard ${dups.map((ss) => `${formatShardId(ss[0].id)} is given ${ss.length} times (${ss.map((s) => s.dir).join(', ')})`).join('; ')}`, {
      hint: 'name each shard folder once; a shard counted twice would double its requests',
    });
  }
  const missing: string[] = [];
  for (let i = 0; i < n; i++) if (!byIndex.has(i)) missing.push(formatShardId({ index: i, count: n }));
  if (missing.length > 0 && !opts.allowPartial) {
    throw new ServebenchError('E_RESULTS', `incomplete set of shards: missing ${missing.map((m) => `shard ${m}`).join(', ')} (have ${shards.length} of ${n})`, {
      hint: 'add the missing shard folders, or pass --allow-partial to merge what is there (the report then says it is partial)',
    });
  }

  shards.sort((a, b) => a.id.index - b.id.index);
  const base = Math.min(...shards.map((s) => s.start.run.measureStartEpochMs));
  const earliest = shards.find((s) => s.start.run.measureStartEpochMs === base)!;
  const sources: MergeRecord['sources'] = [];
  const out: RunRecord[] = [];
  let targetRps = 0;
  for (const s of shards) {
    const offsetMs = s.start.run.measureStartEpochMs - base;
    const shiftS = Math.round(offsetMs / 1000);
    sources.push({ shard: formatShardId(s.id), dir: s.dir, measureStartEpochMs: s.start.run.measureStartEpochMs, offsetMs, shiftS });
    targetRps += s.start.run.load.targetRps;
    for (const r of s.records) {
      if (r.type === 'interval') out.push(shiftS === 0 ? r : ({ ...r, index: r.index + shiftS } satisfies IntervalRecord));
      // The merged window runs to the end of the latest shard's window.
      else if (r.type === 'end') out.push(shiftS === 0 ? r : ({ ...r, measuredDurationMs: r.measuredDurationMs + shiftS * 1000 } satisfies EndRecord));
      else out.push(r);
    }
  }
  const merge: MergeRecord = {
    type: 'merge',
    run: { ...earliest.start.run, shard: shards.map((s) => formatShardId(s.id)).join(','), load: { ...earliest.start.run.load, targetRps: round3(targetRps) } },
    shardCount: n,
    shards: shards.map((s) => formatShardId(s.id)),
    missing,
    partial: missing.length > 0,
    sources,
  };
  return [merge, ...out];
}

function shardOf(input: ShardResults): Shard {
  const { dir, records } = input;
  if (records.some((r) => r.type === 'merge')) {
    throw new ServebenchError('E_RESULTS', `${dir} holds an already merged run`, { hint: 'merge the shard folders themselves' });
  }
  const starts = records.filter((r): r is StartRecord => r.type === 'start');
  if (starts.length !== 1) {
    throw new ServebenchError('E_RESULTS', `${dir}: ${starts.length === 0 ? 'no start record: not a servebench results file' : `${starts.length} start records: not the results of one shard`}`);
  }
  const start = starts[0];
  if (!start.run.scenarioFingerprint) {
    throw new ServebenchError('E_RESULTS', `${dir} has no scenario fingerprint (written by servebench ${start.run.servebenchVersion}), so it cannot be matched with other shards`, {
      hint: 'rerun the shards with this version of servebench',
    });
  }
  return { dir, id: parseShardId(start.run.shard), start, records };
}

/** What a merged run says about itself (summary.json `merge`). */
export interface MergeInfo {
  shardCount: number;
  shards: string[];
  missing: string[];
  partial: boolean;
  sources: MergeRecord['sources'];
}

export function mergeInfoOf(records: readonly RunRecord[]): MergeInfo | undefined {
  const m = records.find((r): r is MergeRecord => r.type === 'merge');
  if (!m) return undefined;
  return { shardCount: m.shardCount, shards: m.shards, missing: m.missing, partial: m.partial, sources: m.sources };
}
