import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The compiled file beside a module. Worker threads on Node 20 cannot load TypeScript, so code
 * that runs from src/ (under vitest) points its workers at the build in dist/ (`npm test` builds
 * first).
 */
export function compiledSibling(metaUrl: string, name: string): string {
  const here = fileURLToPath(metaUrl);
  const js = fileURLToPath(new URL(`./${name}.js`, metaUrl));
  if (!here.endsWith('.ts')) return js;
  const dist = js.replace(/([\\/])src([\\/])(?!.*[\\/]src[\\/])/, '$1dist$2');
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run 'npm run build' before using workers from source`);
  return dist;
}
