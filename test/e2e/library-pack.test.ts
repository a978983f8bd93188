/**
 * servebench as a dependency: `npm pack`, install the tarball into an empty project, and call the
 * library from an .mjs file (a run against the embedded mock, compare, the typed errors) and from
 * TypeScript through the package's declarations.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'library');
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', timeout: 240_000, env: { ...process.env, npm_config_update_notifier: 'false', npm_config_prefer_offline: 'true' } });

describe('the packed package', () => {
  it('installs into a fresh project and works as a library', { timeout: 300_000 }, () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sb-pack-'));
    // dist/ is built by vitest's globalSetup; packing need not build again.
    const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], root)) as { filename: string; files: { path: string }[] }[];
    const paths = packed.files.map((f) => f.path);
    expect(paths).toContain('dist/index.js');
    expect(paths).toContain('dist/index.d.ts');
    expect(paths).toContain('schema/scenario.schema.json');
    expect(paths.some((p) => p.startsWith('src/') || p.startsWith('test/'))).toBe(false);

    const app = join(tmp, 'app');
    execFileSync('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=dev', join(tmp, packed.filename)], app);

    copyFileSync(join(fixtures, 'use.mjs'), join(app, 'use.mjs'));
    const out = mkdtempSync(join(tmpdir(), 'sb-pack-out-'));
    const r = JSON.parse(execFileSync(process.execPath, ['use.mjs', out], { cwd: app, encoding: 'utf8', timeout: 120_000 }).trim().split('\n').pop()!);
    expect(r.a).toEqual({ ok: 40, sent: 40, name: 'quickstart' });
    expect(r.progress).toBeGreaterThan(0);
    expect(r.b.sent).toBeGreaterThan(0);
    expect(r.b.sent).toBeLessThan(200); // stopped well before 20 s at 20 rps (400)
    expect(r.b.stopReason).toMatch(/signal/);
    expect(r.compare.regressions).toBe(0);
    expect(r.compare.verdict).toBe('same');
    expect(r.compare.metrics).toBeGreaterThan(0);
    expect(r.mergeError).toEqual({ isServebenchError: true, code: 'E_USAGE', exitCode: 2 });
    expect(r.scenarioError).toEqual({ isServebenchError: true, code: 'E_SCENARIO', exitCode: 2 });

    // The declarations: a TypeScript user's code type-checks against the package alone.
    copyFileSync(join(fixtures, 'use-types.ts'), join(app, 'use-types.ts'));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['use-types.ts'] }));
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: app, encoding: 'utf8' });

    // The bin still works from the installed package.
    expect(execFileSync(join(app, 'node_modules', '.bin', 'servebench'), ['--version'], { encoding: 'utf8' }).trim()).toBe('0.1.0');
  });
});
