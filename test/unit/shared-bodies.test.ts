import { describe, expect, it } from 'vitest';
import { packBodies, unpackBodies } from '../../src/workload/shared-bodies.js';

describe('bodies packed once for every worker', () => {
  it('round-trips each body as its JSON bytes, as views of one shared memory', () => {
    const bodies = [{ inputs: [[1, 2]] }, { instances: ['é', { a: null }] }, {}];
    const shared = packBodies(bodies);
    expect(shared.bytes).toBeInstanceOf(SharedArrayBuffer);
    const views = unpackBodies(shared);
    expect(views.map((b) => b.toString('utf8'))).toEqual(bodies.map((b) => JSON.stringify(b)));
    // No copy: every view is over the shared buffer.
    for (const v of views) expect(v.buffer).toBe(shared.bytes);
    expect(views.reduce((n, v) => n + v.length, 0)).toBe(shared.bytes.byteLength);
  });
});
