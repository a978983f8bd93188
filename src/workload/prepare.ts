/**
 * Request preparation: everything a request needs (path, headers, body bytes) is built once,
 * before the run starts, so the hot path only picks a prepared request and dispatches it.
 */
import type { ResolvedScenario, ResolvedWorkload, WorkloadKind } from '../scenario/types.js';
import { requestTarget } from '../target/url.js';
import { samplePromptItems, type PromptItem } from './prompts.js';
import { dirname } from 'node:path';
import { unpackBodies, type SharedBodies } from './shared-bodies.js';
import { embeddingRequests } from './embedding.js';

export interface PreparedRequest {
  readonly body: Buffer;
  /** Prompt tokens as measured by the tokenizer (0 for predictive kinds). */
  readonly inputTokens: number;
  /** Output tokens asked for (0 for predictive kinds). */
  readonly outputTokens: number;
}

export interface PreparedWorkload {
  readonly index: number;
  readonly name: string;
  readonly kind: WorkloadKind;
  /** True for chat/completion with stream: true: the response is SSE. */
  readonly stream: boolean;
  readonly generative: boolean;
  /** kind: embedding: the answer carries input tokens only. */
  readonly embedding: boolean;
  /** embedding: inputs per request (1 for every other kind). */
  readonly batch: number;
  readonly origin: string;
  readonly path: string;
  /** Flat [name, value, …] array: undici takes it without re-parsing an object per request. */
  readonly headers: readonly string[];
  readonly requests: readonly PreparedRequest[];
}

/** How many distinct prompts a generative workload prepares per worker; they are cycled. */
export const PROMPTS_PER_WORKER = 512;

export function isGenerative(kind: WorkloadKind): boolean {
  return kind === 'chat' || kind === 'completion';
}

/** `shared[i]`: workload i's bodies, packed once by the coordinator (then `w.bodies` is empty). */
export function prepareWorkloads(s: ResolvedScenario, worker: number, shared: ReadonlyArray<SharedBodies | null> = []): PreparedWorkload[] {
  return s.workloads.map((w, index) => {
    const sharedBodies = shared[index];
    const t = requestTarget(s.target, w.kind, w.model);
    const headers: string[] = [];
    for (const [k, v] of Object.entries(t.headers)) headers.push(k, v);
    const generative = isGenerative(w.kind);
    const embedding = w.kind === 'embedding';
    const seed = promptSeed(s, worker, index);
    // A trace brings each request's lengths: its requests are built per record (engine/trace-replay.ts).
    const requests = generative && s.load.type === 'trace'
      ? []
      : embedding
      ? embeddingRequests(w, PROMPTS_PER_WORKER, seed, s.file ? dirname(s.file) : process.cwd())
      : generative
      ? samplePromptItems(w, PROMPTS_PER_WORKER, seed, s.file ? dirname(s.file) : process.cwd()).map(
          (p) => ({ body: Buffer.from(JSON.stringify(generativeBody(w, p))), inputTokens: p.inputTokens, outputTokens: p.outputTokens }),
        )
      : sharedBodies
        ? unpackBodies(sharedBodies).map((body) => ({ body, inputTokens: 0, outputTokens: 0 }))
        : w.bodies.map((b) => ({ body: Buffer.from(JSON.stringify(b)), inputTokens: 0, outputTokens: 0 }));
    return { index, name: w.name, kind: w.kind, stream: generative && w.stream, generative, embedding, batch: w.batch ?? 1, origin: t.origin, path: t.path, headers, requests };
  });
}

/** The seed of a generative workload's prompts on one worker (its conversations use it too). */
export function promptSeed(s: ResolvedScenario, worker: number, index: number): number {
  return (s.load.seed * 1_000_003 + worker * 7919 + index) >>> 0;
}

/** The OpenAI-compatible request body vLLM accepts (extra sampling fields at the top level). */
export function generativeBody(w: ResolvedWorkload, p: PromptItem): Record<string, unknown> {
  const body: Record<string, unknown> = { model: w.model };
  if (w.kind === 'chat') body.messages = p.messages ?? [{ role: 'user', content: p.prompt ?? '' }];
  else body.prompt = p.prompt ?? (p.messages ?? []).map((m) => m.content).join('\n');
  body.max_tokens = p.outputTokens;
  if (w.kind === 'chat') body.max_completion_tokens = p.outputTokens;
  body.stream = w.stream;
  if (w.stream) body.stream_options = { include_usage: true, continuous_usage_stats: true };
  if (w.ignoreEos !== undefined) body.ignore_eos = w.ignoreEos;
  if (w.minTokens !== undefined) body.min_tokens = w.minTokens;
  if (w.temperature !== undefined) body.temperature = w.temperature;
  if (w.seed !== undefined) body.seed = w.seed;
  if (w.extraBody) Object.assign(body, w.extraBody);
  return body;
}
