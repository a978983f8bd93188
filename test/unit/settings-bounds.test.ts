import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../../src/workload/scenario.js';
import { ServebenchError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-bounds-'));
const BASE = `name: b\ntarget: {url: embedded, deployment: d}\nworkloads:\n  - {name: w, kind: predict, model: m, body: {inputs: [[1]]}}\nload: {rps: 10, duration: 1s}\n`;

function problems(sets: string[], text = BASE): string[] {
  const f = join(dir, `s${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, text);
  try {
    loadScenario(f, { sets });
  } catch (e) {
    expect(e).toBeInstanceOf(ServebenchError);
    expect((e as ServebenchError).exitCode).toBe(2);
    return (e as ServebenchError).problems.map((p) => `${p.path}  ${p.message}`);
  }
  return [];
}

describe('settings that validate as numbers but cannot run', () => {
  it('a rate past what the workers can schedule, with the reason and the bound', () => {
    for (const rps of ['1e10', '1e308']) {
      const p = problems([`load.rps=${rps}`]);
      expect(p).toHaveLength(1);
      expect(p[0]).toMatch(/^load\.rps {2}.* rps: one worker schedules at most 1,000,000 slots a second .*with 1 worker\(s\) the plan can be at most 1,000,000 rps/);
    }
    expect(problems(['load.rps=1000000'])).toEqual([]);
    // More workers, a higher bound; a ramp's stages are held to it too.
    expect(problems(['load.rps=3000000', 'load.workers=3'])).toEqual([]);
    expect(problems(['load.type=ramp', 'load.duration=null', 'load.rps=0', 'load.stages=[{duration: 1s, target: 2e6}]']).join('\n')).toContain('load.stages[0].target');
  });

  it('maxInFlight and concurrency past what memory holds, with the memory per request', () => {
    for (const n of ['1e15', '3e7']) {
      const p = problems([`load.maxInFlight=${n}`]);
      expect(p).toHaveLength(1);
      expect(p[0]).toMatch(/^load\.maxInFlight {2}.*: each in-flight request holds about 1 KB .* at most 100,000/);
    }
    expect(problems(['load.maxInFlight=200000', 'load.workers=2'])).toEqual([]);
    const closed = BASE.replace('load: {rps: 10, duration: 1s}', 'load: {type: concurrency, concurrency: 200000, duration: 1s}');
    expect(problems([], closed)[0]).toMatch(/^load\.concurrency .*200,000 users/);
  });

  it('more workloads than a worker can keep histograms for', () => {
    const wl = Array.from({ length: 101 }, (_v, i) => `  - {name: w${i}, kind: predict, model: m, body: {inputs: [[1]]}}`).join('\n');
    const p = problems([], `name: b\ntarget: {url: embedded, deployment: d}\nworkloads:\n${wl}\nload: {rps: 10, duration: 1s}\n`);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^workloads {2}101 workloads: at most 100, since each keeps 16 histograms/);
  });

  it('an API key that no HTTP header can carry is refused at validation, without showing it', () => {
    const key = (k: string) => `name: b\ntarget: {url: embedded, deployment: d, apiKey: ${JSON.stringify(k)}}\nworkloads:\n  - {name: w, kind: predict, model: m, body: {inputs: [[1]]}}\nload: {rps: 10, duration: 1s}\n`;
    expect(problems([], key('secretKEY123\r\n'))).toEqual(['target.apiKey  the API key holds a carriage return (CR) at position 13: an HTTP header cannot carry it (a key copied with its line ending?)']);
    expect(problems([], key('secret\nKEY'))[0]).toContain('a line feed (LF) at position 7');
    expect(problems([], key('secretKEY€'))[0]).toContain('past Latin-1 (U+20AC) at position 10');
    expect(problems([], key('secretKEY123'))).toEqual([]);
    const f = join(dir, 'key.txt');
    writeFileSync(f, 'abc\u2028def\n');
    const p = problems([], `name: b\ntarget: {url: embedded, deployment: d, apiKeyFile: ${f}}\nworkloads:\n  - {name: w, kind: predict, model: m, body: {inputs: [[1]]}}\nload: {rps: 10, duration: 1s}\n`);
    expect(p[0]).toMatch(/^target\.apiKeyFile .*U\+2028/);
    expect(p.join('\n')).not.toContain('abc');
  });
});
