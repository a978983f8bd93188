import { createServer, type Server } from 'node:http';
import { listenLocal } from './listen.js';
import { performance } from 'node:perf_hooks';

/** Bytes to write `atMs` after the request body arrived. */
export interface Step {
  atMs: number;
  write: string | Buffer;
}

/** One response: its status, content type, timetable, and how it ends after the last step. */
export interface Script {
  status?: number;
  contentType?: string;
  steps: Step[];
  /** 'end' (default) finishes the body; 'destroy' cuts the socket. */
  end?: 'end' | 'destroy';
}

export interface LlmServer {
  url: string;
  /** POST requests received. */
  readonly count: number;
  /** Parsed request bodies, in arrival order. */
  bodies: unknown[];
  /** When each step of the n-th response was written, ms after its request arrived (steps in time order). */
  writtenAt(n: number): number[];
  close(): Promise<void>;
}

/**
 * A server on 127.0.0.1 port 0 that answers the n-th POST (0-based) with `script(n, body)`, writing
 * each step at its time from the request's arrival. Times are absolute targets, so timer lateness
 * (≤ ~1-2 ms) does not accumulate. The run's GET check request gets `{}`.
 */
export async function startLlmServer(script: (n: number, body: Record<string, unknown>) => Script): Promise<LlmServer> {
  const state = { count: 0, bodies: [] as unknown[], written: [] as number[][] };
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
      return;
    }
    const n = state.count++;
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const t0 = performance.now();
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
      } catch {
        // the test asserts on what it sent; a bad body just gets the script
      }
      state.bodies.push(body);
      const sc = script(n, body);
      res.writeHead(sc.status ?? 200, { 'content-type': sc.contentType ?? 'text/event-stream' });
      res.flushHeaders();
      const steps = [...sc.steps].sort((a, b) => a.atMs - b.atMs);
      const written: number[] = (state.written[n] = []);
      let i = 0;
      const next = (): void => {
        while (i < steps.length && steps[i].atMs <= performance.now() - t0) {
          if (res.destroyed) return;
          written.push(performance.now() - t0);
          res.write(steps[i++].write);
        }
        if (i < steps.length) {
          const tm = setTimeout(() => {
            timers.delete(tm);
            next();
          }, Math.max(0, steps[i].atMs - (performance.now() - t0)));
          timers.add(tm);
          return;
        }
        if (sc.end === 'destroy') res.destroy();
        else res.end();
      };
      next();
    });
  });
  server.keepAliveTimeout = 60_000;
  const { url, close } = await listenLocal(server);
  return {
    url,
    get count() {
      return state.count;
    },
    bodies: state.bodies,
    writtenAt: (n) => state.written[n] ?? [],
    close: () => {
      for (const t of timers) clearTimeout(t);
      return close();
    },
  };
}

/** One SSE event carrying `obj`. */
export function sse(obj: unknown): string {
  return `data: ${JSON.stringify(obj)}\n\n`;
}

export const DONE = 'data: [DONE]\n\n';

/** A vLLM chat.completion.chunk. */
export function chatChunk(o: { role?: boolean; content?: string; finish?: string | null; usage?: { prompt: number; completion: number } | null; noChoices?: boolean }): unknown {
  const delta: Record<string, unknown> = {};
  if (o.role) delta.role = 'assistant';
  if (o.content !== undefined) delta.content = o.content;
  const chunk: Record<string, unknown> = {
    id: 'chatcmpl-t',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: o.noChoices ? [] : [{ index: 0, delta, logprobs: null, finish_reason: o.finish ?? null }],
  };
  if (o.usage) chunk.usage = { prompt_tokens: o.usage.prompt, completion_tokens: o.usage.completion, total_tokens: o.usage.prompt + o.usage.completion };
  return chunk;
}

/**
 * A streamed chat answer: the role chunk at 0, then `tokens` content chunks (one token each unless
 * `chunkTokens` says otherwise) at `times`, the last with `finish`, then a usage-only chunk and
 * [DONE]. usage: 'continuous' puts cumulative usage on every chunk, 'final' only on the usage chunk.
 */
export function chatStream(o: {
  times: number[];
  chunkTokens?: number[];
  words?: string[];
  prompt?: number;
  usage?: 'continuous' | 'final' | 'none';
  /** Overrides usage.completion_tokens of the final usage chunk. */
  usageCompletion?: number;
  finish?: string | null;
  done?: boolean;
}): Step[] {
  const prompt = o.prompt ?? 16;
  const usage = o.usage ?? 'continuous';
  const steps: Step[] = [{ atMs: 0, write: sse(chatChunk({ role: true, content: '', usage: usage === 'continuous' ? { prompt, completion: 0 } : null })) }];
  let completion = 0;
  o.times.forEach((at, i) => {
    completion += o.chunkTokens?.[i] ?? 1;
    const last = i === o.times.length - 1;
    steps.push({
      atMs: at,
      write: sse(chatChunk({ content: o.words?.[i] ?? ` w${i}`, finish: last ? (o.finish === undefined ? 'length' : o.finish) : null, usage: usage === 'continuous' ? { prompt, completion } : null })),
    });
  });
  const end = o.times.length ? o.times[o.times.length - 1] : 0;
  let tail = '';
  if (usage !== 'none') tail += sse(chatChunk({ noChoices: true, usage: { prompt, completion: o.usageCompletion ?? completion } }));
  if (o.done !== false) tail += DONE;
  if (tail) steps.push({ atMs: end, write: tail });
  return steps;
}

/** Arithmetic token times: first at `firstMs`, then every `gapMs`. */
export function tokenTimes(count: number, firstMs: number, gapMs: number): number[] {
  return Array.from({ length: count }, (_, i) => firstMs + i * gapMs);
}

