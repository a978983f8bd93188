/**
 * `--requests`: the worker's side of requests.csv.gz. Each finished measured request becomes one
 * CSV row (metrics/request-rows.ts), appended to a text batch that is posted to the coordinator
 * every ROWS_PER_BATCH rows, at each interval, and at the end; the coordinator compresses and files
 * it (report/requests-file.ts). So a worker holds at most one batch, and a run without --requests
 * has no RequestLog at all: the in-flight set checks one null, nothing is allocated per request.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Ctx } from './request-context.js';
import type { WlState } from './workload-state.js';
import { countField, csvField, usField } from '../metrics/request-rows.js';

/** About 100 KB of text: posting it costs one copy, and a killed run loses at most this many rows a worker. */
const ROWS_PER_BATCH = 1024;

/** What the coordinator gets on the worker's port. */
export interface RequestsMessage {
  type: 'requests';
  worker: number;
  rows: number;
  text: string;
}


export class RequestLog {
  private text = '';
  private rows = 0;
  /** performance.now() of the measured start: row times count from it. */
  baseMs = 0;
  private readonly names: string[];

  constructor(
    private readonly port: MessagePort,
    private readonly worker: number,
    wls: readonly WlState[],
  ) {
    this.names = wls.map((w) => csvField(w.prep.name));
  }

  /** A measured request finished at `t` (errClass null: ok). */
  add(ctx: Ctx, errClass: string | null, t: number): void {
    const b = this.baseMs;
    const wl = ctx.wl!;
    const firstToken = wl.prep.stream && ctx.response.sse !== null ? ctx.response.sse.firstTokenMs : NaN;
    this.text +=
      `${this.names[wl.prep.index]},${ctx.slot},${usField(ctx.intended, b)},${usField(ctx.sentAt, b)},${usField(ctx.headAt, b)},` +
      `${usField(firstToken, b)},${usField(t, b)},${ctx.status},${errClass ?? ''},${countField(ctx.inputTokens)},${countField(ctx.outputTokens)},` +
      `${countField(ctx.cachedTokens)},${ctx.turn > 0 ? ctx.turn : 1}\n`;
    if (++this.rows >= ROWS_PER_BATCH) this.flush();
  }

  /** Posts the rows gathered so far (nothing when there are none). */
  flush(): void {
    if (this.rows === 0) return;
    const m: RequestsMessage = { type: 'requests', worker: this.worker, rows: this.rows, text: this.text };
    this.text = '';
    this.rows = 0;
    this.port.postMessage(m);
  }
}
