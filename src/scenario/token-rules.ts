/**
 * Scenario checks on what a generative request asks for and what its SLOs can judge, each a pair of
 * keys that would otherwise silently disagree:
 *  - the output length: with synthetic prompts `prompt.outputTokens` is the max_tokens sent, so a
 *    `maxTokens` beside it would be ignored (maxTokens sets the length of dataset prompts); an
 *    `extraBody.max_tokens` would override both behind the back of the short/over-long counts;
 *  - token SLOs on a non-streamed answer: it arrives all at once, so there is no first-token instant
 *    apart from the last and no gaps between tokens; `slo.ttft`, `slo.tpot` and `slo.itl` need a
 *    stream (vLLM's benchmark judges its goodput SLOs on streams too).
 */
import { GENERATIVE_KINDS, DEFAULTS } from './schema.js';
import type { ProblemList } from './source.js';
import type { WorkloadKind } from './types.js';
import { isObject } from '../util/values.js';

type Obj = Record<string, unknown>;


const LENGTH_KEYS = ['max_tokens', 'max_completion_tokens'] as const;

const TOKEN_SLOS: Record<string, string> = {
  ttft: 'a non-streamed answer arrives all at once, its first token with its last, so ttft would only repeat the response time',
  tpot: 'a non-streamed answer arrives all at once, with no token times to measure tpot from',
  itl: 'a non-streamed answer arrives all at once, with no token times to measure itl from',
};

export function checkTokenRules(raw: Obj, problems: ProblemList): void {
  const workloads = Array.isArray(raw.workloads) ? raw.workloads : [];
  const unstreamed: string[] = [];
  workloads.forEach((w, i) => {
    if (!isObject(w) || !GENERATIVE_KINDS.includes(w.kind as WorkloadKind)) return;
    const at = ['workloads', i];
    if (Object.hasOwn(w, 'maxTokens') && Object.hasOwn(w, 'prompt') && !Object.hasOwn(w, 'dataset')) {
      problems.add(
        [...at, 'maxTokens'],
        'key',
        `'maxTokens' would be ignored: with 'prompt', prompt.outputTokens is the max_tokens sent (a number, {min, max} or {mean, stddev}); 'maxTokens' sets it for 'dataset' prompts`,
      );
    }
    if (isObject(w.extraBody)) {
      for (const k of LENGTH_KEYS) {
        if (!Object.hasOwn(w.extraBody, k)) continue;
        const use = Object.hasOwn(w, 'dataset') ? 'maxTokens' : 'prompt.outputTokens';
        problems.add([...at, 'extraBody', k], 'key', `set the output length with ${use}, not extraBody.${k}: servebench sends it as max_tokens and counts short and over-long outputs against it`);
      }
    }
    if ((w.stream ?? DEFAULTS.stream) === false) unstreamed.push(typeof w.name === 'string' ? w.name : `workloads[${i}]`);
  });
  if (unstreamed.length === 0 || !isObject(raw.slo)) return;
  const names = `workload${unstreamed.length > 1 ? 's' : ''} ${unstreamed.map((n) => `'${n}'`).join(', ')} ${unstreamed.length > 1 ? 'have' : 'has'}`;
  for (const [k, why] of Object.entries(TOKEN_SLOS)) {
    if (!Object.hasOwn(raw.slo, k)) continue;
    problems.add(
      ['slo', k],
      'key',
      `slo.${k} needs streamed answers, and ${names} stream: false: ${why}; set stream: true, or judge non-streamed answers with slo.latency`,
    );
  }
}
