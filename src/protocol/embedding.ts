/**
 * vLLM's `/v1/embeddings` answer (OpenAI's shape): `{data: [{index, embedding}], usage: {prompt_tokens}}`,
 * one item per input. `embedding` is a list of numbers, or a base64 string when the request asked
 * for `encoding_format: base64`.
 */
import { errorMessageOf } from './json.js';
import { isObject } from '../util/values.js';

export interface EmbeddingResult {
  /** usage.prompt_tokens, or -1 when the answer has none. */
  promptTokens: number;
}

/** Checks a whole 2xx embeddings body: one embedding per input of the batch; else `{error}`. */
export function parseEmbeddingResponse(body: unknown, batch: number): EmbeddingResult | { error: string } {
  const errorMessage = errorMessageOf(body);
  if (errorMessage !== null) return { error: errorMessage };
  if (!isObject(body)) return { error: 'response is not a JSON object' };
  const data = body.data;
  if (!Array.isArray(data)) return { error: 'response has no data list' };
  if (data.length !== batch) return { error: `response has ${data.length} embeddings for ${batch} inputs` };
  for (let i = 0; i < data.length; i++) {
    const d: unknown = data[i];
    const e = isObject(d) ? d.embedding : undefined;
    if (!(Array.isArray(e) ? e.length > 0 : typeof e === 'string' && e.length > 0)) return { error: `data[${i}].embedding is missing or empty` };
  }
  const usage = body.usage;
  const promptTokens = isObject(usage) && typeof usage.prompt_tokens === 'number' ? usage.prompt_tokens : -1;
  return { promptTokens };
}
