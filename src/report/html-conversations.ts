/**
 * report.html's conversation table of a `conversation` workload: conversations started and finished,
 * and per turn the requests, TTFT and latency percentiles (turn 1 against later turns shows what the
 * history costs, or what a server's prefix cache saves).
 */
import type { WorkloadSummary } from '../metrics/summary-types.js';
import { fmtInt, fmtMs } from './html-format.js';

export function conversationTable(w: WorkloadSummary): string {
  const c = w.conversations;
  if (!c) return '';
  const cell = (x: number | undefined) => `<td>${fmtMs(x)}</td>`;
  const rows = c.byTurn
    .map(
      (t) =>
        `<tr data-turn="${t.turn}"><td>${t.turn}</td><td>${fmtInt(t.sent)}</td><td>${fmtInt(t.ok)}</td>${cell(t.ttft?.p50)}${cell(t.ttft?.p99)}${cell(t.latency?.p50)}${cell(t.latency?.p99)}</tr>`,
    )
    .join('');
  return `<div class="caption" style="margin-top:12px">Conversations · <span data-field="conversations">${fmtInt(c.started)} started, ${fmtInt(c.finished)} finished, ${fmtInt(c.unfinished)} not finished</span> <span class="muted">(the plan's rate counts conversations; later turns are not plan slots)</span></div>
<div class="tablebox"><table class="num conversations"><thead><tr><th>turn</th><th>sent</th><th>ok</th><th>TTFT p50</th><th>TTFT p99</th><th>latency p50</th><th>latency p99</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}
