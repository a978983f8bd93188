/**
 * TLS to a self-signed gateway: verification is on by default and refuses it with E_TLS (exit 3)
 * and a message that says what to do; target.tls.caFile trusts it; target.tls.insecure skips the
 * check and warns once. Certificates are made in the test (test/helpers/tls.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRun } from '../../src/engine/coordinator.js';
import { buildSummary } from '../../src/metrics/summary.js';
import { loadScenario } from '../../src/workload/scenario.js';
import { testClient } from '../helpers/scenario.js';
import { makeSelfSignedCert, startTlsGateway, type TestCert, type TlsGateway } from '../helpers/tls.js';

let cert: TestCert;
let gateway: TlsGateway;
let url: string;
const dir = mkdtempSync(join(tmpdir(), 'sb-tls-scn-'));

beforeAll(async () => {
  cert = makeSelfSignedCert('gateway');
  gateway = await startTlsGateway(cert);
  url = gateway.url;
});
afterAll(() => gateway.close());

function scenarioWith(tls: string, host = '127.0.0.1') {
  const f = join(dir, `s${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, `name: tls\ntarget:\n  url: ${url.replace('127.0.0.1', host)}\n  client: ${testClient()}\n  deployment: d\n  tls: ${tls}\nworkloads:\n  - {name: p, kind: predict, model: m, body: {inputs: [[1]]}}\nload: {rps: 20, duration: 1s}\n`);
  return loadScenario(f, { env: {} });
}

describe('TLS', () => {
  it('refuses a self-signed gateway by default with E_TLS and a hint, before sending load', async () => {
    const before = gateway.posts();
    const { scenario } = scenarioWith('{}');
    const err = await startRun(scenario).done.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_TLS', exitCode: 3 });
    expect((err as Error).message).toMatch(/^TLS handshake with https:\/\/127\.0\.0\.1:\d+ failed: .*self[- ]signed/i);
    expect((err as { hint: string }).hint).toMatch(/caFile/);
    expect(gateway.posts()).toBe(before);
  });

  it('trusts the gateway through caFile and verifies it', async () => {
    writeFileSync(join(dir, 'ca.pem'), cert.cert);
    const before = gateway.posts();
    const { scenario, warnings } = scenarioWith('{caFile: ca.pem}');
    expect(warnings).toEqual([]);
    const sum = buildSummary((await startRun(scenario).done).records);
    expect(sum.totals.ok).toBe(20);
    expect(gateway.posts() - before).toBe(20);
  });

  it('refuses the gateway when caFile holds another certificate', async () => {
    writeFileSync(join(dir, 'other.pem'), makeSelfSignedCert('someone-else').cert);
    const { scenario } = scenarioWith('{caFile: other.pem}');
    await expect(startRun(scenario).done).rejects.toMatchObject({ code: 'E_TLS', exitCode: 3 });
  });

  it('refuses a certificate issued for another name, even when its CA is trusted', async () => {
    const wrongName = makeSelfSignedCert('elsewhere', 'DNS:elsewhere.example');
    const other = await startTlsGateway(wrongName);
    try {
      writeFileSync(join(dir, 'wrong-name.pem'), wrongName.cert);
      const f = join(dir, 'wrong-name.yaml');
      writeFileSync(f, `name: tls\ntarget:\n  url: ${other.url}\n  deployment: d\n  tls: {caFile: wrong-name.pem}\nworkloads:\n  - {name: p, kind: predict, model: m, body: {inputs: [[1]]}}\nload: {rps: 5, duration: 1s}\n`);
      const err = await startRun(loadScenario(f, { env: {} }).scenario).done.catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_TLS', exitCode: 3 });
      expect((err as Error).message).toMatch(/ALTNAME|does not match|not in the cert/i);
    } finally {
      await other.close();
    }
  });

  it('insecure: true runs without verification and warns exactly once', async () => {
    const { scenario, warnings } = scenarioWith('{insecure: true}');
    expect(warnings.filter((w) => /TLS/.test(w))).toEqual(['TLS certificate verification is off (target.tls.insecure: true)']);
    const runWarnings: string[] = [];
    const sum = buildSummary((await startRun(scenario, { onWarning: (m) => runWarnings.push(m) }).done).records);
    expect(sum.totals.ok).toBe(20);
    // The loader's warning is the one; the run adds none of its own.
    expect(runWarnings.filter((w) => /TLS|certificate/i.test(w))).toEqual([]);
  });
});
