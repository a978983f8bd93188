/**
 * Token-count provenance of generative workloads: which source gave each request's output and input
 * counts (DESIGN.md: `usage` when the server gives it, else the tokenizer, else one per content
 * chunk), how far the server's `usage` and our tokenizer disagree where both were counted, why
 * outputs came out shorter than asked, and which deadline cut a request. Workers send a
 * TokenInterval per workload and interval; the summary sums them.
 */

export const OUTPUT_SOURCES = ['usage', 'tokenizer', 'chunks'] as const;
export type OutputSource = (typeof OUTPUT_SOURCES)[number];
/**
 * Where a stream's per-chunk token counts for per-token ITL came from: running usage on every chunk,
 * the tokenizer on each chunk's text (scaled to the output count), or one per chunk (scaled likewise).
 */
export type ItlSource = OutputSource;

/** One workload's counts over one interval (only sent when something was counted). */
export interface TokenInterval {
  /** Completed requests whose output token count came from each source. */
  output: Record<OutputSource, number>;
  /** Completed requests whose prompt token count came from usage, or from the tokenizer (prepared prompt). */
  input: { usage: number; tokenizer: number };
  /** Requests whose output was counted both ways: usage.completion_tokens and the tokenizer on the text. */
  outputDivergence: DivergenceCounts;
  /** Requests with usage.prompt_tokens: compared with the tokenizer's count of the prompt we sent. */
  inputDivergence: DivergenceCounts;
  /** Ok requests with fewer output tokens than max_tokens, by finish_reason. */
  short: { stop: number; length: number; other: number };
  /** Requests cut by a deadline: no first token within firstTokenTimeout, or the whole request over timeout. */
  timeouts: { firstToken: number; total: number };
  /** Ok streams whose itl was recorded, by where their per-chunk token counts came from (absent in older files). */
  itl?: Record<ItlSource, number>;
  /** Ok requests whose usage.completion_tokens exceeded the max_tokens sent, and the tokens beyond it (absent in older files). */
  overMax?: { requests: number; tokens: number };
}

export interface DivergenceCounts {
  samples: number;
  usageTokens: number;
  tokenizerTokens: number;
  /** Σ |tokenizer − usage| over the samples. */
  absDiffTokens: number;
}

export function emptyTokenInterval(): TokenInterval {
  return {
    output: { usage: 0, tokenizer: 0, chunks: 0 },
    input: { usage: 0, tokenizer: 0 },
    outputDivergence: { samples: 0, usageTokens: 0, tokenizerTokens: 0, absDiffTokens: 0 },
    inputDivergence: { samples: 0, usageTokens: 0, tokenizerTokens: 0, absDiffTokens: 0 },
    short: { stop: 0, length: 0, other: 0 },
    timeouts: { firstToken: 0, total: 0 },
    itl: { usage: 0, tokenizer: 0, chunks: 0 },
    overMax: { requests: 0, tokens: 0 },
  };
}

/** into += from, field by field (both have the shape of emptyTokenInterval()). */
export function addTokenInterval(into: TokenInterval, from: TokenInterval): void {
  for (const k of Object.keys(into) as Array<keyof TokenInterval>) {
    const a = into[k] as unknown as Record<string, number>;
    const b = from[k] as unknown as Record<string, number> | undefined;
    if (!b) continue;
    for (const f in a) a[f] += b[f] ?? 0;
  }
}

export interface DivergenceSummary {
  samples: number;
  usageTokens: number;
  tokenizerTokens: number;
  /** Mean |tokenizer − usage| as a percentage of usage. */
  meanAbsDiffPct: number;
  /** (tokenizer − usage) / usage, percent: positive when our tokenizer counts more than the server. */
  biasPct: number;
}

export interface TokenCountsSummary {
  /** The source of the output counts: one of OUTPUT_SOURCES, 'mixed' when requests differed, 'none' when none completed. */
  outputSource: OutputSource | 'mixed' | 'none';
  inputSource: 'usage' | 'tokenizer' | 'mixed' | 'none';
  outputBySource: Record<OutputSource, number>;
  inputBySource: { usage: number; tokenizer: number };
  /** null when no request had both usage and kept text. */
  outputDivergence: DivergenceSummary | null;
  inputDivergence: DivergenceSummary | null;
  short: TokenInterval['short'];
  timeouts: TokenInterval['timeouts'];
  /** Where the per-chunk token counts behind per-token itl came from; 'none' when no stream was recorded. */
  itlSource: ItlSource | 'mixed' | 'none';
  itlBySource: Record<ItlSource, number>;
  /** Ok requests whose server-reported output (usage) exceeded the max_tokens sent; tokens: the excess summed. */
  overMax: { requests: number; tokens: number };
}

function sourceOf<K extends string>(by: Record<K, number>): K | 'mixed' | 'none' {
  const used = (Object.keys(by) as K[]).filter((k) => by[k] > 0);
  return used.length === 0 ? 'none' : used.length === 1 ? used[0] : 'mixed';
}

function divergence(d: DivergenceCounts): DivergenceSummary | null {
  if (d.samples === 0 || d.usageTokens === 0) return null;
  const pct = (x: number) => Math.round((x / d.usageTokens) * 100_000) / 1000;
  return {
    samples: d.samples,
    usageTokens: d.usageTokens,
    tokenizerTokens: d.tokenizerTokens,
    meanAbsDiffPct: pct(d.absDiffTokens),
    biasPct: pct(d.tokenizerTokens - d.usageTokens),
  };
}

export function tokenCountsSummary(t: TokenInterval): TokenCountsSummary {
  return {
    outputSource: sourceOf(t.output),
    inputSource: sourceOf(t.input),
    outputBySource: { ...t.output },
    inputBySource: { ...t.input },
    outputDivergence: divergence(t.outputDivergence),
    inputDivergence: divergence(t.inputDivergence),
    short: { ...t.short },
    timeouts: { ...t.timeouts },
    itlSource: t.itl ? sourceOf(t.itl) : 'none',
    itlBySource: { usage: 0, tokenizer: 0, chunks: 0, ...t.itl },
    overMax: { requests: 0, tokens: 0, ...t.overMax },
  };
}

/** One line for the console and the HTML report: "output from usage (tokenizer +3.1 %, 40 samples) · input from usage". */
export function describeTokenCounts(t: TokenCountsSummary): string {
  const div = (d: DivergenceSummary | null) =>
    d ? ` (tokenizer ${d.biasPct >= 0 ? '+' : ''}${d.biasPct} %, mean |Δ| ${d.meanAbsDiffPct} %, ${d.samples} sampled)` : '';
  const itl = t.itlSource && t.itlSource !== 'none' ? `; itl per token from ${t.itlSource}` : '';
  return `output counts from ${t.outputSource}${div(t.outputDivergence)}; input counts from ${t.inputSource}${div(t.inputDivergence)}${itl}`;
}

/** The warning for outputs longer than asked, or null: "3 outputs exceeded max_tokens (12 tokens beyond)". */
export function describeOverMax(t: TokenCountsSummary): string | null {
  const o = t.overMax;
  if (!o || o.requests === 0) return null;
  return `${o.requests} output${o.requests === 1 ? '' : 's'} longer than the max_tokens asked (${o.tokens} tokens beyond, by the server's usage): the server does not honour max_tokens`;
}
