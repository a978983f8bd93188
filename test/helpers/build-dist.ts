/**
 * vitest globalSetup: worker threads load the build in dist/ (engine/paths.ts), so a test run
 * after an edit without `npm run build` would test the old code. Rebuilds dist/ when any source
 * file is newer than its compiled file (or has none); does nothing when dist/ is up to date.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The first source file whose compiled file in dist/ is missing or older, or null. */
export function staleSource(root = ROOT): string | null {
  const src = join(root, 'src');
  const dist = join(root, 'dist');
  const walk = (dir: string): string | null => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        const found = walk(p);
        if (found) return found;
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const out = join(dist, relative(src, p)).replace(/\.ts$/, '.js');
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(p).mtimeMs) return p;
      }
    }
    return null;
  };
  return walk(src);
}

export default function setup(): void {
  const stale = staleSource();
  if (!stale) return;
  process.stderr.write(`dist/ is older than ${relative(ROOT, stale)}: rebuilding before the tests\n`);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
}
