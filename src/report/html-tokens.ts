/**
 * The token-count rows of a generative workload's "Quality of service" list in report.html: which
 * source gave the counts and how far usage and the tokenizer disagree, why outputs came out short,
 * and which deadline cut requests. Rows only appear when there is something to say.
 */
import type { WorkloadSummary } from '../metrics/summary-types.js';
import { describeOverMax, describeTokenCounts } from '../metrics/tokens.js';
import { escapeHtml as e, fmtInt } from './html-format.js';

export function tokenCountRows(w: WorkloadSummary): string[] {
  const t = w.tokenCounts;
  if (!t) return [];
  const rows = [`<dt>token counts</dt><dd data-field="tokenCounts" data-output-source="${e(t.outputSource)}" data-itl-source="${e(t.itlSource ?? 'none')}">${e(describeTokenCounts(t))}</dd>`];
  const over = describeOverMax(t);
  if (over) rows.push(`<dt>over max_tokens</dt><dd data-field="overMax"><span class="badge warn">warning</span> ${e(over)}</dd>`);
  const s = t.short;
  if (s.stop + s.length + s.other > 0) {
    rows.push(
      `<dt>short by reason</dt><dd data-field="shortByReason">${fmtInt(s.stop)} <code>stop</code> <span class="muted">(the model ended: EOS or a stop string)</span> · ${fmtInt(s.length)} <code>length</code> <span class="muted">(cut by the server's limit before max_tokens)</span>${s.other ? ` · ${fmtInt(s.other)} other` : ''}</dd>`,
    );
  }
  const to = t.timeouts;
  if (to.firstToken + to.total > 0) {
    rows.push(`<dt>timeouts</dt><dd data-field="timeouts">${fmtInt(to.firstToken)} first token <span class="muted">(firstTokenTimeout)</span> · ${fmtInt(to.total)} whole request <span class="muted">(timeout)</span></dd>`);
  }
  return rows;
}
