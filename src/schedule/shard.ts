/**
 * Shards: `--shard i/n` runs part i of n of one arrival plan. Worker k of shard i takes the slots of
 * global worker i + k·n out of workers·n, so every shard and every worker strides through the one
 * slot sequence of src/schedule/plan.ts and the merged arrivals of all shards are the plan itself.
 */
import { ServebenchError } from '../errors.js';

export interface ShardId {
  readonly index: number;
  readonly count: number;
}

/** The global worker index (of `workersPerShard * shard.count`) of worker k of a shard. */
export function globalWorkerIndex(shard: ShardId, k: number): number {
  return shard.index + k * shard.count;
}

/** "i/n" as written in records (`RunInfo.shard`, `IntervalRecord.shard`). */
export function formatShardId(s: ShardId): string {
  return `${s.index}/${s.count}`;
}

/** Parses "i/n" with 0 <= i < n; throws E_RESULTS (a record, not user input, is wrong). */
export function parseShardId(v: string): ShardId {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new ServebenchError('E_RESULTS', `'${v}' is not a shard id i/n with 0 <= i < n`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

/** The suffix of a shard's default report folder: `-shard-1of3`; none for an unsharded run. */
export function shardDirSuffix(s: ShardId | undefined): string {
  return s && s.count > 1 ? `-shard-${s.index}of${s.count}` : '';
}
