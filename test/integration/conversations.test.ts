// Conversations against the embedded mock's vLLM imitation, through a recording proxy that keeps
// every request body and the reply text the mock really sent: each later turn must carry the earlier
// user messages and those exact replies, after the think time, and the counts must add up.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startMock, type MockServer } from '../../src/mock/index.js';
import { startRun } from '../../src/engine/coordinator.js';
import { buildSummary, type Summary } from '../../src/metrics/summary.js';
import type { HttpClient, ResolvedLoad, ResolvedWorkload } from '../../src/scenario/types.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chatWorkload, scenario } from '../helpers/scenario.js';

interface Seen {
  messages: Array<{ role: string; content: string }>;
  reply: string;
  receivedAt: number;
  endedAt: number;
}

let mock: MockServer | null = null;
let proxy: http.Server | null = null;
afterEach(async () => {
  await new Promise((r) => (proxy ? proxy.close(r) : r(undefined)));
  proxy?.closeAllConnections();
  await mock?.close();
  mock = null;
  proxy = null;
});

/** The reply text of a chat answer as the server sent it (SSE deltas, or a whole JSON answer). */
function replyOf(raw: string): string {
  if (!raw.startsWith('data:') && !raw.includes('\ndata:')) return JSON.parse(raw).choices[0].message.content;
  let text = '';
  for (const line of raw.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]' || data === '') continue;
    const c = JSON.parse(data).choices?.[0]?.delta?.content;
    if (typeof c === 'string') text += c;
  }
  return text;
}

async function startProxy(target: string, seen: Seen[]): Promise<string> {
  proxy = http.createServer((req, res) => {
    const receivedAt = performance.now();
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const up = http.request(target + req.url, { method: req.method, headers: req.headers }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        const got: Buffer[] = [];
        ur.on('data', (c: Buffer) => {
          got.push(c);
          res.write(c);
        });
        ur.on('end', () => {
          const raw = Buffer.concat(body).toString();
          if (req.url!.endsWith('/chat/completions')) seen.push({ messages: JSON.parse(raw).messages, reply: replyOf(Buffer.concat(got).toString()), receivedAt, endedAt: performance.now() });
          res.end();
        });
      });
      up.end(Buffer.concat(body));
    });
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(proxy!.address() as AddressInfo).port}`;
}

const THINK_MS = 60;

async function run(client: HttpClient, load: Partial<ResolvedLoad>, stream: boolean, over: Partial<ResolvedWorkload> = {}): Promise<{ sum: Summary; seen: Seen[] }> {
  mock = await startMock({ auth: false, llm: { prefillMsPerToken: 0.01, decodeMsPerToken: 2 } });
  const seen: Seen[] = [];
  const url = await startProxy(mock.url, seen);
  const w = chatWorkload({ stream, outputTokens: 6, conversation: { turnsMin: 3, turnsMax: 3, thinkTimeMs: THINK_MS }, ...over });
  const s = scenario({ target: { url, client }, workloads: [w], load });
  const { records } = await startRun(s).done;
  return { sum: buildSummary(records), seen };
}

/** Each later turn: its history is an earlier request's messages plus that request's reply as sent. */
function checkHistory(seen: Seen[]): number {
  const byHistory = new Map(seen.map((x) => [JSON.stringify(x.messages), x]));
  let later = 0;
  for (const x of seen) {
    const n = x.messages.length;
    expect(n % 2).toBe(1);
    expect(x.messages.map((m) => m.role)).toEqual(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'user' : 'assistant')));
    if (n === 1) continue;
    later++;
    const prev = byHistory.get(JSON.stringify(x.messages.slice(0, n - 2)));
    expect(prev, 'the previous turn of this conversation was sent').toBeDefined();
    expect(prev!.reply.length).toBeGreaterThan(0);
    expect(x.messages[n - 2].content).toBe(prev!.reply);
    // the new user message is not a repeat of the earlier ones
    expect(x.messages.slice(0, n - 1).map((m) => m.content)).not.toContain(x.messages[n - 1].content);
    // sent after the previous reply ended plus the think time (a timer may fire 1 ms early)
    expect(x.receivedAt - prev!.endedAt).toBeGreaterThanOrEqual(THINK_MS - 2);
  }
  return later;
}

function checkCounts(sum: Summary, seen: Seen[]): void {
  const w = sum.workloads[0];
  const c = w.conversations!;
  expect(c).toBeDefined();
  expect(w.totals.errors).toBe(0);
  // every request on the wire is one turn of one conversation
  expect(c.byTurn.reduce((a, t) => a + t.sent, 0)).toBe(w.totals.sent);
  expect(w.totals.sent).toBe(seen.length);
  expect(c.byTurn.map((t) => t.turn)).toEqual([1, 2, 3].slice(0, c.byTurn.length));
  expect(c.byTurn[0].sent).toBe(c.started);
  expect(seen.filter((x) => x.messages.length === 1)).toHaveLength(c.started);
  for (let i = 1; i < c.byTurn.length; i++) expect(c.byTurn[i].sent).toBeLessThanOrEqual(c.byTurn[i - 1].ok);
  // turns: 3, no errors: a finished conversation is one whose third turn came back ok
  expect(c.finished).toBe(c.byTurn[2]?.ok ?? 0);
  expect(c.finished + c.unfinished).toBe(c.started);
  expect(c.byTurn[0].latency!.count).toBe(c.byTurn[0].ok);
  expect(sum.generator.notes!.join(' ')).toMatch(/conversations per second/);
}

describe('conversations against the embedded mock', () => {
  it.each(['undici', 'lean'] as const)('open loop (%s): arrivals are conversations, later turns carry the streamed replies', async (client) => {
    const { sum, seen } = await run(client, { rps: 10, durationMs: 1000 }, true);
    checkCounts(sum, seen);
    // the plan's 10 slots are 10 conversations; the later turns come on top
    expect(sum.workloads[0].conversations!.started).toBe(10);
    expect(sum.generator.plannedSlots).toBe(10);
    expect(sum.totals.sent).toBeGreaterThan(10);
    expect(checkHistory(seen)).toBe(sum.totals.sent - 10);
    expect(sum.workloads[0].conversations!.finished).toBeGreaterThan(0);
    // turn 2 resends turn 1 and its reply: its prompt is longer
    const t = sum.workloads[0].conversations!.byTurn;
    expect(t[1].ttft!.count).toBe(t[1].ok);
  });

  it.each(['undici', 'lean'] as const)('closed loop (%s): each user holds one conversation at a time (not streamed)', async (client) => {
    const { sum, seen } = await run(client, { type: 'concurrency', concurrency: 2, rps: 0, durationMs: 1200 }, false);
    checkCounts(sum, seen);
    expect(checkHistory(seen)).toBeGreaterThan(0);
    // two users, one conversation each at any time: never more than 2 requests in flight at the proxy
    const events = seen.flatMap((x) => [[x.receivedAt, 1] as const, [x.endedAt, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let open = 0;
    let peak = 0;
    for (const [, d] of events) peak = Math.max(peak, (open += d));
    expect(peak).toBeLessThanOrEqual(2);
    // a user's next conversation starts only after its last one ended: with 3 turns per conversation
    // and two users, at least 2 turns of every 3 are later turns once the first ones finished
    const c = sum.workloads[0].conversations!;
    expect(c.finished).toBeGreaterThan(0);
    expect(c.started).toBeLessThanOrEqual(c.finished + 2);
  });

  it('ShareGPT conversations: later turns are the record\'s own human turns, the assistant turns the replies as sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-conv-ds-'));
    const conv = (k: number) => ({
      conversations: [
        { from: 'human', value: `question one of ${k}` },
        { from: 'gpt', value: 'a recorded answer that is never sent' },
        { from: 'human', value: `question two of ${k}` },
        { from: 'gpt', value: 'another recorded answer' },
      ],
    });
    writeFileSync(join(dir, 'share.json'), JSON.stringify([conv(1), conv(2), conv(3)]));
    const { sum, seen } = await run('undici', { rps: 6, durationMs: 500 }, true, { prompt: undefined, dataset: join(dir, 'share.json'), maxTokens: 5, conversation: { turnsMin: 5, turnsMax: 5, thinkTimeMs: THINK_MS } });
    checkHistory(seen);
    const c = sum.workloads[0].conversations!;
    // five turns asked, two in each record: a conversation ends after its last human turn
    expect(c.byTurn.length).toBeLessThanOrEqual(2);
    expect(c.finished).toBe(c.byTurn[1]?.ok ?? 0);
    expect(c.finished).toBeGreaterThan(0);
    for (const x of seen.filter((y) => y.messages.length === 3)) {
      const k = /question one of (\d)/.exec(x.messages[0].content)![1];
      expect(x.messages[2].content).toBe(`question two of ${k}`);
      expect(x.messages[1].content).not.toMatch(/recorded answer/);
    }
  });
});
