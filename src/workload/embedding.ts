/**
 * Request bodies of `kind: embedding` (vLLM's `/v1/embeddings`): `{model, input}` with `batch`
 * inputs per request, `input` a string when the batch is 1 and a list otherwise (both are what
 * vLLM and OpenAI accept). Inputs are the workload's synthetic prompts or dataset records.
 */
import type { ResolvedWorkload } from '../scenario/types.js';
import { samplePromptItems, type PromptItem } from './prompts.js';

export interface EmbeddingRequest {
  readonly body: Buffer;
  /** The batch's input tokens by the workload's tokenizer (used when the answer has no usage). */
  readonly inputTokens: number;
  readonly outputTokens: 0;
}

/** Inputs sampled per worker are capped so a large batch does not make start-up slow. */
const MAX_INPUTS_PER_WORKER = 16_384;

/** `requests` distinct request bodies of an embedding workload (cycled by the engine). */
export function embeddingRequests(w: ResolvedWorkload, requests: number, seed: number, baseDir: string): EmbeddingRequest[] {
  const batch = w.batch ?? 1;
  const n = Math.max(1, Math.min(requests, Math.floor(MAX_INPUTS_PER_WORKER / batch)));
  const items = samplePromptItems(w, n * batch, seed, baseDir);
  const out: EmbeddingRequest[] = [];
  for (let i = 0; i < n; i++) {
    const group = items.slice(i * batch, (i + 1) * batch);
    const texts = group.map(inputText);
    const body: Record<string, unknown> = { model: w.model, input: batch === 1 ? texts[0] : texts };
    if (w.extraBody) Object.assign(body, w.extraBody);
    out.push({ body: Buffer.from(JSON.stringify(body)), inputTokens: group.reduce((a, p) => a + p.inputTokens, 0), outputTokens: 0 });
  }
  return out;
}

/** A prompt's text; a dataset's chat record is its messages' contents joined (as a completion prompt is). */
function inputText(p: PromptItem): string {
  return p.prompt ?? (p.messages ?? []).map((m) => m.content).join('\n');
}
