import { describe, expect, test } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../../src/workload/scenario.js';

// Every example a user may copy must at least load: a renamed key or a changed default that
// breaks one fails here, not in a user's terminal. (The embedded ones also run in test/e2e.)
const dir = join(import.meta.dirname, '..', '..', 'scenarios');
const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f));

describe('example scenarios', () => {
  test('there are examples', () => expect(files.length).toBeGreaterThanOrEqual(3));
  test.each(files)('%s loads without a problem or a warning', (f) => {
    const { scenario, warnings } = loadScenario(join(dir, f), { env: { HOPSWORKS_API_KEY: 'example-key' } });
    expect(scenario.name.length).toBeGreaterThan(0);
    expect(warnings).toEqual([]);
  });
});
