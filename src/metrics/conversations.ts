/**
 * Conversations of a chat workload (`conversation:`) in the records and the summary: how many were
 * started and finished, and each turn's request count, TTFT and latency. Turn k's figures next to
 * turn 1's show what the history costs or saves (a server's prefix cache makes later turns' TTFT
 * shorter). Turns past MAX_TURN_BUCKETS share the last bucket.
 */
import { decode, newAccumulator, statsOf, type Histogram, type Stats } from './hdr.js';

/** Per-turn buckets recorded; turn MAX_TURN_BUCKETS holds that turn and every later one. */
export const MAX_TURN_BUCKETS = 32;

/** One interval's conversation counts of a workload (IntervalRecord workloads[].conversations). */
export interface ConversationInterval {
  /** Measured conversations whose first turn was sent in this interval. */
  started: number;
  /** Conversations whose last turn ended ok in this interval. */
  finished: number;
  /** Index i: turn i + 1 (the last bucket also holds later turns). */
  turns: Array<{ sent: number; ok: number; ttft?: string; latency?: string }>;
}

export interface TurnSummary {
  /** 1-based; the last bucket (turn MAX_TURN_BUCKETS) also holds every later turn. */
  turn: number;
  sent: number;
  ok: number;
  /** ms; streams only. */
  ttft?: Stats;
  latency?: Stats;
}

export interface ConversationSummary {
  started: number;
  finished: number;
  /** Started but not finished: a turn failed, or the run ended first. */
  unfinished: number;
  byTurn: TurnSummary[];
}

/** A workload's conversations summed over intervals, workers and shards. */
export interface ConversationAcc {
  started: number;
  finished: number;
  turns: Array<{ sent: number; ok: number; ttft: Histogram; latency: Histogram }>;
}

export function addConversationInterval(acc: ConversationAcc | undefined, c: ConversationInterval): ConversationAcc {
  const a = acc ?? { started: 0, finished: 0, turns: [] };
  a.started += c.started;
  a.finished += c.finished;
  c.turns.forEach((t, i) => {
    if (i >= MAX_TURN_BUCKETS) return;
    while (a.turns.length <= i) a.turns.push({ sent: 0, ok: 0, ttft: newAccumulator(), latency: newAccumulator() });
    const into = a.turns[i];
    into.sent += t.sent;
    into.ok += t.ok;
    for (const key of ['ttft', 'latency'] as const) {
      const b64 = t[key];
      if (!b64) continue;
      const h = decode(b64);
      into[key].add(h);
      h.destroy();
    }
  });
  return a;
}

export function conversationSummary(a: ConversationAcc): ConversationSummary {
  return {
    started: a.started,
    finished: a.finished,
    unfinished: Math.max(0, a.started - a.finished),
    byTurn: a.turns.map((t, i) => ({
      turn: i + 1,
      sent: t.sent,
      ok: t.ok,
      ...(t.ttft.totalCount > 0 ? { ttft: statsOf(t.ttft, 1e-3) } : {}),
      ...(t.latency.totalCount > 0 ? { latency: statsOf(t.latency, 1e-3) } : {}),
    })),
  };
}

/** The load-model note of a run with conversations (summary.generator.notes): the plan counts conversations. */
export const CONVERSATION_NOTE =
  'conversations: each arrival of the plan (or each closed-loop user request) starts a conversation, so the target rate is conversations per second; later turns follow each reply after the think time and are not slots of the plan (sent and achievedRps count every turn)';
