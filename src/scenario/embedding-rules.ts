/**
 * Scenario rules of `kind: embedding` (vLLM's `/v1/embeddings`): which workload keys it takes, and
 * the keys only it takes. An embedding sends inputs (synthetic prompts or a dataset, `batch` a
 * request) and generates nothing, so the generation keys (stream, output length, sampling) are
 * refused rather than silently ignored; `prompt.outputTokens`, required for chat and completion
 * workloads, is checked here since the schema must accept its absence for embeddings.
 */
import { EMBEDDING_KINDS, GENERATIVE_KINDS, PREDICT_KEYS } from './schema.js';
import type { ProblemList } from './source.js';
import type { WorkloadKind } from './types.js';
import type { Seg } from './messages.js';
import { isObject } from '../util/values.js';

type Obj = Record<string, unknown>;

/** Generation keys an embedding has no use for (prompt, dataset, tokenizer, extraBody, timeout apply). */
const NOT_FOR_EMBEDDING = ['stream', 'maxTokens', 'ignoreEos', 'minTokens', 'temperature', 'seed', 'firstTokenTimeout'] as const;

export function isEmbeddingKind(kind: unknown): boolean {
  return EMBEDDING_KINDS.includes(kind as WorkloadKind);
}

/** The kind-specific keys of one workload whose kind is known; `at` is its path. */
export function checkEmbeddingRules(w: Obj, kind: WorkloadKind, at: Seg[], problems: ProblemList): void {
  const has = (k: string) => Object.hasOwn(w, k);
  if (!isEmbeddingKind(kind)) {
    if (has('batch')) problems.add([...at, 'batch'], 'key', `'batch' applies to embedding workloads`);
    if (GENERATIVE_KINDS.includes(kind) && isObject(w.prompt) && !Object.hasOwn(w.prompt, 'outputTokens')) problems.missing([...at, 'prompt', 'outputTokens']);
    return;
  }
  for (const k of [...PREDICT_KEYS, ...NOT_FOR_EMBEDDING]) {
    if (has(k)) problems.add([...at, k], 'key', `'${k}' does not apply to embedding workloads (they send inputs and generate nothing)`);
  }
  if (isObject(w.prompt) && Object.hasOwn(w.prompt, 'outputTokens')) {
    problems.add([...at, 'prompt', 'outputTokens'], 'key', `'outputTokens' does not apply to embedding workloads (they generate nothing)`);
  }
  if (has('prompt') && has('dataset')) problems.add([...at, 'dataset'], 'key', `use either 'prompt' or 'dataset', not both`);
  else if (!has('prompt') && !has('dataset')) problems.add(at, 'value', `an embedding workload needs 'prompt' or 'dataset'`);
}
