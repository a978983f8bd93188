/**
 * CI has no docker, so the Dockerfile's build stage is checked by running its steps: its COPY
 * sources are copied into a clean folder and its RUN lines run there, as `docker build` would.
 * The result must run the CLI with the runtime dependencies only. The runtime stage is checked
 * for what it promises: the current LTS base, a non-root user, and files that exist.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

interface Stage {
  from: string;
  steps: { op: string; args: string }[];
}

/** The Dockerfile's stages, with continuation lines joined and comments dropped. */
function stages(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const l of lines) {
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(l)!;
    if (op === 'FROM') out.push({ from: args, steps: [] });
    else out.at(-1)!.steps.push({ op, args });
  }
  return out;
}

describe('the Dockerfile', () => {
  const [build, runtime] = stages(dockerfile);

  it('builds on the current Node LTS and runs as a non-root user', () => {
    expect(build.from).toMatch(/^node:24-slim AS build$/);
    expect(runtime.from).toBe('node:24-slim');
    const user = runtime.steps.filter((s) => s.op === 'USER').at(-1)!.args;
    expect(user).not.toMatch(/^(0|root)\b/);
    const entry = JSON.parse(runtime.steps.find((s) => s.op === 'ENTRYPOINT')!.args) as string[];
    expect(entry).toEqual(['node', '--single-threaded-gc', '/app/dist/cli/main.js']);
    // What the runtime stage copies from the context exists.
    for (const s of runtime.steps.filter((s) => s.op === 'COPY' && !s.args.startsWith('--from'))) {
      const [src] = s.args.split(/\s+/);
      expect(existsSync(join(root, src)), src).toBe(true);
    }
  });

  it("runs the build stage's steps in a clean folder: npm ci, build, prune; the CLI works without dev dependencies", { timeout: 600_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-docker-'));
    for (const s of build.steps) {
      if (s.op === 'COPY') {
        const parts = s.args.split(/\s+/);
        for (const src of parts.slice(0, -1)) cpSync(join(root, src), join(dir, src), { recursive: true });
      } else if (s.op === 'RUN') {
        execFileSync('sh', ['-c', s.args], { cwd: dir, stdio: 'pipe', timeout: 540_000, env: { ...process.env, npm_config_update_notifier: 'false', npm_config_prefer_offline: 'true' } });
      } else expect(['WORKDIR'], s.op).toContain(s.op);
    }
    expect(existsSync(join(dir, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules', 'yargs'))).toBe(true);
    for (const dev of ['vitest', 'typescript', 'ajv', 'autocannon']) expect(existsSync(join(dir, 'node_modules', dev)), dev).toBe(false);
    const version = execFileSync(process.execPath, [join(dir, 'dist', 'cli', 'main.js'), '--version'], { cwd: dir, encoding: 'utf8' });
    expect(version.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    // The built CLI validates a shipped scenario with the pruned dependencies.
    cpSync(join(root, 'scenarios'), join(dir, 'scenarios'), { recursive: true });
    const v = execFileSync(process.execPath, [join(dir, 'dist', 'cli', 'main.js'), 'validate', 'scenarios/quickstart.yaml'], { cwd: dir, encoding: 'utf8' });
    expect(v).toContain('ok');
  });
});
