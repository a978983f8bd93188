/** The gateway's ApiKey check (`Authorization: ApiKey <key>`), as Hopsworks' auth filter answers it. */
import { json } from './handler.js';

export interface Rejection {
  status: number;
  body: Buffer;
  extra: string[] | undefined;
}

const UNAUTHORIZED: Rejection = {
  status: 401,
  body: json({ error: 'Unauthorized', message: "missing or malformed authorization header, expected 'ApiKey <key>'" }),
  extra: ['www-authenticate', 'ApiKey'],
};
const FORBIDDEN: Rejection = { status: 403, body: json({ error: 'Forbidden', message: 'invalid API key' }), extra: undefined };

export class ApiKeyAuth {
  private readonly keys: Set<string>;

  /** `enabled` false: every request passes. No keys: any well-formed key passes. */
  constructor(
    private readonly enabled: boolean,
    keys: readonly string[],
  ) {
    this.keys = new Set(keys);
  }

  /** Why a request with this Authorization header is refused; undefined when it may pass. */
  check(authorization: string | undefined): Rejection | undefined {
    if (!this.enabled) return undefined;
    const m = authorization === undefined ? null : /^ApiKey\s+(\S+)\s*$/i.exec(authorization);
    if (m === null) return UNAUTHORIZED;
    if (this.keys.size > 0 && !this.keys.has(m[1])) return FORBIDDEN;
    return undefined;
  }
}
