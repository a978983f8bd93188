/** Istio's CORS policy: allowed origins (exact, `*`, or globs like `https://*.example.com`) and the preflight answer. */
import type http from 'node:http';

function globToRegExp(glob: string): RegExp {
  const esc = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${esc}$`, 'i');
}

export class CorsPolicy {
  private readonly anyOrigin: boolean;
  private readonly exactOrigins: Set<string>;
  private readonly globOrigins: RegExp[];

  constructor(allowedOrigins: readonly string[]) {
    this.anyOrigin = allowedOrigins.includes('*');
    this.exactOrigins = new Set(allowedOrigins.filter((o) => !o.includes('*')));
    this.globOrigins = allowedOrigins.filter((o) => o !== '*' && o.includes('*')).map(globToRegExp);
  }

  allows(origin: string): boolean {
    if (this.anyOrigin || this.exactOrigins.has(origin)) return true;
    for (const re of this.globOrigins) if (re.test(origin)) return true;
    return false;
  }
}

export function isPreflight(req: http.IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined;
}

/** Extra headers of an allowed preflight's 200. */
export function preflightHeaders(): string[] {
  return [
    'access-control-allow-methods',
    'GET, POST, PUT, DELETE, OPTIONS',
    'access-control-allow-headers',
    'authorization, content-type, accept, origin, user-agent, x-requested-with, x-request-id',
    'access-control-max-age',
    '86400',
  ];
}
