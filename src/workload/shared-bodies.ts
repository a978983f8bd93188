/**
 * Request bodies serialized once per process, not once per worker: the coordinator packs each
 * workload's bodies into one SharedArrayBuffer and every worker reads them through Buffer views
 * of that memory. A 50 MB bodies file was otherwise cloned into, and serialized in, every worker.
 */

export interface SharedBodies {
  /** The bodies' JSON bytes, one after another. */
  readonly bytes: SharedArrayBuffer;
  /** Float64 end offsets into `bytes`, one per body. */
  readonly ends: SharedArrayBuffer;
}

export function packBodies(bodies: readonly unknown[]): SharedBodies {
  const parts = bodies.map((b) => Buffer.from(JSON.stringify(b)));
  let total = 0;
  for (const p of parts) total += p.length;
  const bytes = new SharedArrayBuffer(total);
  const ends = new SharedArrayBuffer(parts.length * 8);
  const view = Buffer.from(bytes);
  const endsView = new Float64Array(ends);
  let at = 0;
  parts.forEach((p, i) => {
    p.copy(view, at);
    at += p.length;
    endsView[i] = at;
  });
  return { bytes, ends };
}

/** Buffer views of the shared bodies (no copy). */
export function unpackBodies(shared: SharedBodies): Buffer[] {
  const ends = new Float64Array(shared.ends);
  const out: Buffer[] = new Array(ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    out[i] = Buffer.from(shared.bytes, start, ends[i] - start);
    start = ends[i];
  }
  return out;
}
