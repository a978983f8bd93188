import { describe, expect, it } from 'vitest';
import { buildSummary } from '../../src/metrics/summary.js';
import { emptyTokenInterval, type TokenInterval } from '../../src/metrics/tokens.js';
import type { IntervalRecord } from '../../src/metrics/records.js';
import { htmlReport } from '../../src/report/html.js';
import { summaryText } from '../../src/report/console.js';
import { sampleRecords } from '../helpers/sample-summary.js';

/** The sample run, with token provenance added to every interval of the chat workload (index 1). */
function withTokens(per: (i: number) => TokenInterval) {
  const records = sampleRecords({ seconds: 10, workers: 2 });
  let i = 0;
  for (const r of records) if (r.type === 'interval') (r as IntervalRecord).workloads[1].tokens = per(i++);
  return { summary: buildSummary(records), intervals: i };
}

function interval(): TokenInterval {
  const t = emptyTokenInterval();
  t.output.usage = 10;
  t.input.usage = 10;
  t.outputDivergence = { samples: 1, usageTokens: 100, tokenizerTokens: 104, absDiffTokens: 4 };
  t.inputDivergence = { samples: 10, usageTokens: 500, tokenizerTokens: 450, absDiffTokens: 50 };
  t.short = { stop: 2, length: 1, other: 0 };
  t.timeouts = { firstToken: 1, total: 0 };
  return t;
}

describe('token counts in the summary and the reports', () => {
  it('sums the intervals of every worker into workloads[].tokenCounts', () => {
    const { summary, intervals } = withTokens(interval);
    expect(summary.workloads[0].tokenCounts).toBeUndefined();
    const t = summary.workloads[1].tokenCounts!;
    expect(t.outputSource).toBe('usage');
    expect(t.outputBySource).toEqual({ usage: 10 * intervals, tokenizer: 0, chunks: 0 });
    expect(t.outputDivergence).toEqual({ samples: intervals, usageTokens: 100 * intervals, tokenizerTokens: 104 * intervals, meanAbsDiffPct: 4, biasPct: 4 });
    expect(t.inputDivergence!.biasPct).toBe(-10);
    expect(t.short).toEqual({ stop: 2 * intervals, length: intervals, other: 0 });
    expect(t.timeouts).toEqual({ firstToken: intervals, total: 0 });
  });

  it('calls the source mixed when requests differed', () => {
    const { summary } = withTokens((i) => {
      const t = interval();
      if (i % 2) [t.output.usage, t.output.tokenizer] = [0, 10];
      return t;
    });
    expect(summary.workloads[1].tokenCounts!.outputSource).toBe('mixed');
  });

  it('shows the source, divergence, short reasons and deadline timeouts in the console and report.html', () => {
    const { summary, intervals } = withTokens(interval);
    const text = summaryText(summary, false);
    expect(text).toContain('output counts from usage (tokenizer +4 %, mean |Δ| 4 %');
    expect(text).toContain(`short outputs by finish_reason: ${2 * intervals} stop, ${intervals} length`);
    expect(text).toContain(`timeouts: ${intervals} without a first token in time, 0 over the whole-request timeout`);
    const html = htmlReport.render(summary);
    expect(html).toContain('data-field="tokenCounts" data-output-source="usage"');
    expect(html).toContain('data-field="shortByReason"');
    expect(html).toContain('data-field="timeouts"');
  });

  it('names the itl source per workload and flags outputs over max_tokens in summary.json, the console and report.html', () => {
    const { summary, intervals } = withTokens((i) => {
      const t = interval();
      t.itl = { usage: 0, tokenizer: 10, chunks: 0 };
      t.overMax = i === 0 ? { requests: 2, tokens: 9 } : { requests: 0, tokens: 0 };
      return t;
    });
    const t = summary.workloads[1].tokenCounts!;
    expect(t.itlSource).toBe('tokenizer');
    expect(t.itlBySource).toEqual({ usage: 0, tokenizer: 10 * intervals, chunks: 0 });
    expect(t.overMax).toEqual({ requests: 2, tokens: 9 });
    const text = summaryText(summary, false);
    expect(text).toContain('itl per token from tokenizer');
    expect(text).toContain('warning: 2 outputs longer than the max_tokens asked (9 tokens beyond');
    const html = htmlReport.render(summary);
    expect(html).toContain('data-itl-source="tokenizer"');
    expect(html).toContain('data-field="overMax"');
  });

  it('reads intervals written before itl sources and overMax were counted', () => {
    const { summary } = withTokens(() => {
      const t = interval() as Partial<TokenInterval>;
      delete t.itl;
      delete t.overMax;
      return t as TokenInterval;
    });
    const t = summary.workloads[1].tokenCounts!;
    expect(t.itlSource).toBe('none');
    expect(t.overMax).toEqual({ requests: 0, tokens: 0 });
    expect(summaryText(summary, false)).not.toContain('max_tokens asked');
  });
});
