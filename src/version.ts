import { readFileSync } from 'node:fs';

/** The package version, read once (works from src/ and from dist/: both sit one level below the root). */
export const VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();
