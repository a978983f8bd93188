/**
 * A worker's per-interval recording of one conversation workload: conversations started and
 * finished, and per turn the requests sent and ok with their TTFT and latency histograms. Turn
 * histograms are made when a turn first records in an interval and handed over whole at the flush
 * (a few per second, not per request).
 */
import { newRecorder, type Histogram } from '../metrics/hdr.js';
import { MAX_TURN_BUCKETS, type ConversationInterval } from '../metrics/conversations.js';

/** A histogram to encode at the flush, and where its encoding goes (IntervalRecorder's EncodeJob). */
export interface TurnEncodeJob {
  into: Record<string, unknown>;
  key: string;
  h: Histogram;
}

export class ConversationRecording {
  started = 0;
  finished = 0;
  private readonly sent = new Float64Array(MAX_TURN_BUCKETS);
  private readonly ok = new Float64Array(MAX_TURN_BUCKETS);
  private ttft: Array<Histogram | null> = new Array<Histogram | null>(MAX_TURN_BUCKETS).fill(null);
  private latency: Array<Histogram | null> = new Array<Histogram | null>(MAX_TURN_BUCKETS).fill(null);
  /** Buckets used since the last take (turn index + 1 of the highest). */
  private used = 0;

  turnSent(turn: number): void {
    const i = bucket(turn);
    this.sent[i]++;
    if (i >= this.used) this.used = i + 1;
  }

  /** A measured turn ended ok; ttftUs < 0 when it has none (not streamed, or no content). */
  turnOk(turn: number, latencyUs: number, ttftUs: number): void {
    const i = bucket(turn);
    this.ok[i]++;
    if (i >= this.used) this.used = i + 1;
    (this.latency[i] ??= newRecorder()).recordValue(latencyUs);
    if (ttftUs >= 0) (this.ttft[i] ??= newRecorder()).recordValue(ttftUs);
  }

  /** The interval's counts; its histograms go to `jobs` for encoding and are replaced. */
  take(jobs: TurnEncodeJob[]): ConversationInterval {
    const turns: ConversationInterval['turns'] = [];
    for (let i = 0; i < this.used; i++) {
      const t: ConversationInterval['turns'][number] = { sent: this.sent[i], ok: this.ok[i] };
      const ttft = this.ttft[i];
      const lat = this.latency[i];
      if (ttft !== null) jobs.push({ into: t, key: 'ttft', h: ttft });
      if (lat !== null) jobs.push({ into: t, key: 'latency', h: lat });
      turns.push(t);
    }
    const out = { started: this.started, finished: this.finished, turns };
    this.reset();
    return out;
  }

  /** Back to zero (the warm-up's recordings, or a taken interval). */
  reset(): void {
    this.started = 0;
    this.finished = 0;
    this.sent.fill(0);
    this.ok.fill(0);
    this.ttft.fill(null);
    this.latency.fill(null);
    this.used = 0;
  }
}

function bucket(turn: number): number {
  return Math.min(turn, MAX_TURN_BUCKETS) - 1;
}
