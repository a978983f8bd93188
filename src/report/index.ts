import { registerWriter, writers } from './writer.js';
import { summaryJson } from './json.js';
import { percentilesCsv, summaryCsv, timeseriesCsv } from './csv.js';
import { htmlReport } from './html.js';

/** The report set every run writes (DESIGN.md "Report set"); results.ndjson is streamed apart. */
export function registerDefaultWriters(): void {
  if (writers().length) return;
  for (const w of [summaryJson, summaryCsv, timeseriesCsv, percentilesCsv, htmlReport]) registerWriter(w);
}
