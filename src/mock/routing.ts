/**
 * Istio's routing of a request to a deployment: by Host header (a VirtualService per knative
 * host) or by path (`/v1/<project>/<deployment>/…`). Lookups are Maps built once.
 */
import type { ResolvedMockConfig } from './config.js';

export interface Deployment {
  project: string;
  deployment: string;
  models: string[];
  modelSet: Set<string> | null;
  /** Model name used when a request names none (LLM calls). */
  defaultModel: string;
}

/** The host a client would use for host routing, as servebench's target module builds it. */
export function hostFor(project: string, deployment: string, knativeDomain: string): string {
  const norm = (s: string): string => s.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return `${norm(deployment)}.${norm(project)}.${knativeDomain.toLowerCase()}`;
}

export class DeploymentRouter {
  private readonly byHost = new Map<string, Deployment>();
  private readonly byPath = new Map<string, Deployment>();

  constructor(cfg: ResolvedMockConfig) {
    for (const d of cfg.deployments) {
      const dep: Deployment = {
        project: d.project,
        deployment: d.deployment,
        models: d.models,
        modelSet: d.models.length > 0 ? new Set(d.models) : null,
        defaultModel: d.models[0] ?? d.deployment,
      };
      this.byPath.set(`${d.project}/${d.deployment}`, dep);
      this.byHost.set(`${d.deployment}.${d.project}.${cfg.knativeDomain}`.toLowerCase(), dep);
      this.byHost.set(hostFor(d.project, d.deployment, cfg.knativeDomain), dep);
    }
  }

  /** The deployment a Host header names (port and case ignored). */
  byHostHeader(hostHeader: string | undefined): Deployment | undefined {
    if (hostHeader === undefined) return undefined;
    const colon = hostHeader.lastIndexOf(':');
    const h = colon > 0 && hostHeader[0] !== '[' ? hostHeader.slice(0, colon) : hostHeader;
    return this.byHost.get(h.toLowerCase());
  }

  /** The deployment of a `/v1/<project>/<deployment>[/…]` path. */
  byPathPrefix(path: string): Deployment | undefined {
    if (!path.startsWith('/v1/')) return undefined;
    const i = path.indexOf('/', 4);
    if (i <= 4) return undefined;
    const j = path.indexOf('/', i + 1);
    return this.byPath.get(j < 0 ? path.slice(4) : path.slice(4, j));
  }
}

/** What follows `/v1/<project>/<deployment>` in a path byPathPrefix matched ('' when nothing). */
export function upstreamPath(path: string): string {
  const j = path.indexOf('/', path.indexOf('/', 4) + 1);
  return j < 0 ? '' : path.slice(j);
}
