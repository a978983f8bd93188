/**
 * The API key never leaves: the built CLI runs with a known key, with --verbose, against the
 * embedded mock and against a server that echoes the authorization header back in its error
 * bodies (JSON, plain text and inside a 200 stream); then every file written and stdout/stderr
 * are searched for the key.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SSE_HEADERS, chatChunk, startFaultServer, type FaultServer } from '../helpers/faults.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const KEY = 'sbKEY-e2e-9f8e7d6c5b4a39281706f5e4';

let server: FaultServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

function servebench(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
}

/** Same, without blocking this process: a server that lives in this test must go on answering. */
function servebenchAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  return new Promise((res) => child.on('close', (status) => res({ status, stdout, stderr })));
}

/** Every file under dir, recursively, as text. */
function allFiles(dir: string): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...allFiles(p));
    else out.push({ file: p, text: readFileSync(p, 'latin1') });
  }
  return out;
}

/** The key, or a long piece of it, in any of the texts. */
function leaks(texts: Array<{ file: string; text: string }>): string[] {
  const pieces = [KEY, KEY.slice(0, 16), KEY.slice(-16), Buffer.from(KEY).toString('base64').slice(0, 20)];
  return texts.filter((t) => pieces.some((p) => t.text.includes(p))).map((t) => t.file);
}

function scenarioFile(dir: string, body: string): string {
  const f = join(dir, 's.yaml');
  writeFileSync(f, body);
  return f;
}

describe('the API key appears in no output', () => {
  it('embedded mock, key from apiKeyFile (trimmed), --verbose: no file and no stream holds the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-sec-'));
    writeFileSync(join(dir, 'key.txt'), `  ${KEY}\n\n`);
    const file = scenarioFile(
      dir,
      // errorRate makes the mock answer some 500s: error paths run too.
      `name: sec\ntarget:\n  url: embedded\n  deployment: fraud\n  apiKeyFile: key.txt\n  mock: {faults: {errorRate: 0.2}}\nworkloads:\n  - {name: p, kind: predict, model: fraud, body: {inputs: [[1, 2]]}}\nload: {rps: 50, duration: 1s}\n`,
    );
    const out = join(dir, 'out');
    const r = servebench(['run', file, '--out', out, '--verbose']);
    expect(r.status).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    // The key was read (the mock accepted it: no 401) and used.
    expect(s.errors.http_401).toBeUndefined();
    expect(s.totals.ok).toBeGreaterThan(20);
    expect(s.errors.http_500).toBeGreaterThan(0);
    expect(leaks([...allFiles(dir).filter((f) => !f.file.endsWith('key.txt')), { file: 'stdout', text: r.stdout }, { file: 'stderr', text: r.stderr }])).toEqual([]);
  });

  it('a server that echoes the authorization header in its errors: redacted everywhere; a literal key draws a warning', async () => {
    server = await startFaultServer((req, res, n) => {
      const auth = String(req.headers.authorization);
      if (n % 3 === 0) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `rejected header authorization: ${auth}`, key: auth.slice(7) }));
      } else if (n % 3 === 1) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end(`upstream said: bad key ${auth.slice(7)}`);
      } else {
        res.writeHead(200, SSE_HEADERS);
        res.write(chatChunk('a'));
        res.end(`data: ${JSON.stringify({ error: { message: `token ${auth.slice(7)} expired` } })}\n\n`);
      }
    });
    const dir = mkdtempSync(join(tmpdir(), 'sb-sec-'));
    const file = scenarioFile(
      dir,
      `name: sec\ntarget:\n  url: ${server.url}\n  deployment: d\n  apiKey: ${KEY}\nworkloads:\n  - {name: c, kind: chat, model: m, stream: true, prompt: {inputTokens: 8, outputTokens: 4}}\nload: {rps: 30, duration: 1s}\n`,
    );
    const out = join(dir, 'out');
    const r = await servebenchAsync(['run', file, '--out', out, '--verbose']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('target.apiKey is written literally');
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    // Every error class carried the key; the samples kept the message and lost the key.
    expect(s.errors.http_500).toBeGreaterThan(0);
    expect(s.errors.http_503).toBeGreaterThan(0);
    expect(s.errors.stream_error).toBeGreaterThan(0);
    expect(s.errorSamples.http_500).toContain('[REDACTED]');
    expect(s.errorSamples.http_503).toContain('[REDACTED]');
    expect(s.errorSamples.stream_error).toContain('[REDACTED]');
    const texts = [...allFiles(out), { file: 'stdout', text: r.stdout }, { file: 'stderr', text: r.stderr }];
    expect(leaks(texts)).toEqual([]);
  });

  it('failing runs and refused scenarios with --verbose show no key either', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-sec-'));
    // Nothing listens on port 9: the run fails before it starts (exit 3), stack shown by --verbose.
    const unreachable = scenarioFile(dir, `name: sec\ntarget: {url: 'http://127.0.0.1:9', deployment: d, apiKey: '\${SB_KEY}'}\nworkloads:\n  - {name: p, kind: predict, model: m, body: {inputs: [[1]]}}\nload: {rps: 5, duration: 1s}\n`);
    const r1 = servebench(['run', unreachable, '--out', join(dir, 'o1'), '--verbose'], { SB_KEY: KEY });
    expect(r1.status).toBe(3);
    const r2 = servebench(['validate', unreachable, '--verbose', '--set', `target.apiKey=${KEY}`, '--set', 'load.rps=fast'], { SB_KEY: KEY });
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain('load.rps');
    const r3 = servebench(['validate', unreachable, '--verbose', '--set', `target.apiKeyFile=${KEY}`], { SB_KEY: KEY });
    expect(r3.status).toBe(2);
    expect(leaks([...allFiles(dir), ...[r1, r2, r3].flatMap((r, i) => [{ file: `stdout${i}`, text: r.stdout }, { file: `stderr${i}`, text: r.stderr }])])).toEqual([]);
  });
});
