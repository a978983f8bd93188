/**
 * The built CLI against a self-signed gateway: refused with a clear message and exit 3, no stack;
 * with insecure: true the run works and the warning is printed once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSelfSignedCert, startTlsGateway, type TlsGateway } from '../helpers/tls.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');
let gateway: TlsGateway;
let url: string;

beforeAll(async () => {
  gateway = await startTlsGateway(makeSelfSignedCert('gateway'));
  url = gateway.url;
});
afterAll(() => gateway.close());

function run(tls: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-tls-e2e-'));
  const f = join(dir, 's.yaml');
  writeFileSync(f, `name: tls\ntarget:\n  url: ${url}\n  deployment: d\n  tls: ${tls}\nworkloads:\n  - {name: p, kind: predict, model: m, body: {inputs: [[1]]}}\nload: {rps: 10, duration: 1s}\n`);
  const child = spawn(process.execPath, [cli, 'run', f, '--out', join(dir, 'out'), '--quiet'], { cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  return new Promise((res) => child.on('close', (status) => res({ status, stdout, stderr })));
}

describe('the built CLI and TLS', () => {
  it('a self-signed gateway without caFile: exit 3, one clear error and a hint, no stack trace', async () => {
    const r = await run('{}');
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^error: TLS handshake with https:\/\/127\.0\.0\.1:\d+ failed: .*self[- ]signed.*$/im);
    expect(r.stderr).toMatch(/^hint: trust the gateway certificate with target\.tls\.caFile/m);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(r.stderr).not.toContain('this is a bug');
  });

  it('insecure: true runs and warns once', async () => {
    const r = await run('{insecure: true}');
    expect(r.status).toBe(0);
    expect(r.stderr.match(/certificate verification is off/g)).toHaveLength(1);
  });
});
