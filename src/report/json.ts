import type { Summary } from '../metrics/summary-types.js';
import type { ReportWriter } from './writer.js';

export const summaryJson: ReportWriter = {
  name: 'json',
  file: 'summary.json',
  render(s: Summary): string {
    return JSON.stringify(s, null, 2) + '\n';
  },
};
