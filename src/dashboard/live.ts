/**
 * The live dashboard (`run --dashboard`): an HTTP server in the coordinator's thread that shows the
 * run's report as it stands, drawn from the run's own records, and the final report once it ended.
 * Nothing is rendered on the workers; the page is rebuilt only when a browser asks and records
 * arrived since, and never more often than the last rebuild's cost allows (at most a sixth of the
 * coordinator's time); the summary is kept up record by record, so a rebuild costs the figures, not
 * every record read again. A long run with a dashboard open costs the load nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ServebenchError } from '../errors.js';
import type { RunRecord } from '../metrics/records.js';
import { SummaryBuilder } from '../metrics/summary.js';
import type { Summary } from '../metrics/summary-types.js';
import { CLIENT_JS } from '../report/html-client.js';
import { escapeHtml as e } from '../report/html-format.js';
import { inlineScript, renderHtml, uplot } from '../report/html.js';
import { LIVE_JS } from './live-client.js';

export interface DashboardAddress {
  host: string;
  port: number;
}

export const DEFAULT_DASHBOARD: DashboardAddress = { host: '127.0.0.1', port: 5665 };

/** A rebuild waits five times the last one's cost: rendering takes at most a sixth of the thread. */
const REBUILD_COST_FACTOR = 5;
/** After the run, the server stays up this long for a page still open to fetch the final report. */
const LINGER_MS = 10_000;
/** A page that asked within this long counts as open (a page busy redrawing on a loaded machine asks late). */
const OPEN_PAGE_MS = 30_000;

interface Rendered {
  seq: number;
  html: string;
  builtAt: number;
  buildMs: number;
}

export class LiveDashboard {
  /** The summary so far, fed record by record: a rebuild costs the figures, not every record again. */
  private readonly builder = new SummaryBuilder();
  private started = false;
  private seq = 0;
  private done = false;
  private cache: Rendered | null = null;
  private finalServed = false;
  private lastAskedAt = -Infinity;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Listens on host:port (port 0: any free port; the URL says which). */
  static async start(addr: DashboardAddress = DEFAULT_DASHBOARD): Promise<LiveDashboard> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new ServebenchError('E_USAGE', `--dashboard: cannot listen on ${addr.host}:${addr.port}: ${err.code === 'EADDRINUSE' ? 'the port is in use (give another, e.g. --dashboard 127.0.0.1:0 for any free one)' : err.message}`)),
      );
      server.listen(addr.port, addr.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const host = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
    const d = new LiveDashboard(server, `http://${host}:${port}/`);
    server.on('request', (req, res) => d.onRequest(req, res));
    return d;
  }

  /** Every record of the run, as it arrives (the run output's add). */
  add(record: RunRecord): void {
    this.builder.add(record);
    if (record.type === 'start') this.started = true;
    this.seq++;
  }

  /**
   * The run ended: the page gets the final report. The server closes once an open page fetched it,
   * or after LINGER_MS; at once when no page is open.
   */
  stop(): void {
    if (this.done) return;
    this.done = true;
    this.seq++;
    const open = performance.now() - this.lastAskedAt < OPEN_PAGE_MS;
    if (!open) {
      void this.close();
      return;
    }
    const t = setTimeout(() => void this.close(), LINGER_MS);
    this.server.once('close', () => clearTimeout(t));
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  /** Resolves once the server closed after stop() (an open page had its final report, or LINGER_MS passed). */
  closed(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (!this.server.listening) resolve();
      else this.server.once('close', () => resolve());
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.lastAskedAt = performance.now();
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET\n');
    try {
      if (path === '/state') return send(res, 200, 'application/json', JSON.stringify({ seq: this.seq, done: this.done }));
      if (path === '/report') {
        const html = this.current().html;
        send(res, 200, 'text/html; charset=utf-8', html);
        if (this.done) this.afterFinal();
        return;
      }
      if (path === '/') return send(res, 200, 'text/html; charset=utf-8', this.page());
      send(res, 404, 'text/plain', 'not found\n');
    } catch (err) {
      send(res, 500, 'text/plain', `${err instanceof Error ? err.message : String(err)}\n`);
    }
  }

  private afterFinal(): void {
    if (this.finalServed) return;
    this.finalServed = true;
    // Let the response leave before the server closes its connections.
    setTimeout(() => void this.close(), 200);
  }

  /** The report as it stands: rebuilt when records arrived, at most once per allowed interval. */
  private current(): Rendered {
    const c = this.cache;
    const now = performance.now();
    if (c && (c.seq === this.seq || (!this.done && now - c.builtAt < REBUILD_COST_FACTOR * c.buildMs))) return c;
    const seq = this.seq;
    const html = this.render();
    const builtAt = performance.now();
    this.cache = { seq, html, builtAt, buildMs: builtAt - now };
    return this.cache;
  }

  private render(): string {
    if (!this.started) return waitingPage();
    const s = this.builder.summary({ running: !this.done });
    if (this.done) return renderHtml(s);
    // Not over yet: not "interrupted" either (there is no end record because the run goes on).
    const live: Summary = { ...s, interrupted: false, stopReason: undefined };
    const banner = `<div class="live-banner" id="sb-live" data-live="true">Live: ${e(String(Math.round(s.durationS)))} s measured so far; this page follows the run every second and shows the final report when it ends.</div>`;
    return renderHtml(live).replace('<main class="wrap">', `<main class="wrap">\n${banner}`);
  }

  /** The first page: the report as it stands, with the drawing code kept as text and the poller. */
  private page(): string {
    const html = this.current().html;
    const tail = `<script type="text/plain" id="sb-draw">${inlineScript(CLIENT_JS)}</script>\n<script>${inlineScript(LIVE_JS)}</script>\n</body>`;
    return html.replace('<html lang="en">', `<html lang="en" data-live-seq="${this.cache!.seq}">`).replace(/<\/body>\s*<\/html>\s*$/, `${tail}\n</html>\n`);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function waitingPage(): string {
  // uPlot is loaded here already: the report's own copy arrives inert with the body swapped in.
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>servebench: waiting</title><style>${uplot().css}</style><script>${inlineScript(uplot().js)}</script></head><body><main class="wrap"><p id="sb-live">Waiting for the run to start…</p></main></body></html>\n`;
}

/** Reads `--dashboard [host:port]`: a bare flag is 127.0.0.1:5665; `:0` takes any free port. */
export function parseDashboardAddress(v: string | boolean | undefined): DashboardAddress | null {
  if (v === undefined || v === false) return null;
  if (v === true || v === '') return DEFAULT_DASHBOARD;
  const m = /^(?:\[([^\]]+)\]|([^:]*))?(?::(\d+))?$/.exec(v.trim());
  const port = m?.[3] === undefined ? DEFAULT_DASHBOARD.port : Number(m[3]);
  if (!m || !(port >= 0 && port <= 65535) || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) {
    throw new ServebenchError('E_USAGE', `--dashboard ${v}: expected host:port, :port or host (e.g. --dashboard 127.0.0.1:5665)`);
  }
  return { host: m[1] ?? (m[2] || DEFAULT_DASHBOARD.host), port };
}
