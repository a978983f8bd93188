/**
 * Conversations of a chat workload (`conversation:`): each arrival the load driver sends (a slot of
 * the open loop's plan, or a closed-loop user's next request) starts a conversation; its turns go
 * one after another, each when the previous reply has ended plus the think time, each carrying the
 * whole history: the earlier user messages and the replies as the server sent them.
 *
 * Later turns are not slots of the plan: the plan's rate is conversations per second. A turn that
 * fails ends its conversation (unfinished). At the run's end (the plan is walked, a stop, the closed
 * loop's duration) no new turn is sent; turns in flight get the usual grace. In the closed loop a
 * user holds its conversation: the driver hears of the user's request only when the conversation ends.
 *
 * Cost: one Conversation object and its growing history per conversation, one body per turn (the
 * history is resent by design); plain workloads never reach this file.
 */
import { performance } from 'node:perf_hooks';
import type { ChatMessage } from '../workload/dataset.js';
import type { PreparedRequest } from '../workload/prepare.js';
import type { ConversationScript, ConversationTurns } from '../workload/conversation-turns.js';
import type { ConversationTurn, Ctx } from './request-context.js';
import type { WlState } from './workload-state.js';

/** What a conversation needs of the worker's in-flight set (engine/in-flight.ts). */
export interface TurnSender {
  /** Requests in flight, against maxInFlight. */
  readonly count: number;
  readonly maxInFlight: number;
  /** Set at an abort: nothing more is recorded. */
  readonly aborted: boolean;
  sendTurn(wl: WlState, req: PreparedRequest, slot: number, intended: number, t: number, measured: boolean, queued: boolean, conv: ConversationTurn, turn: number): void;
}

/** The worker as a conversation sees it: the clock origin and whether the run is over for it. */
export interface ConversationHost {
  readonly t0: number;
  readonly stopping: boolean;
}

/** Told when a conversation is over (the worker's FinishListener): a closed-loop user goes on. */
export interface ConversationEndListener {
  requestFinished(t: number, measured: boolean): void;
}

export class ConversationRunner {
  /** Conversations started and not over, for their think timers at close(). */
  private readonly live = new Set<Conversation>();

  constructor(
    readonly wl: WlState,
    readonly turns: ConversationTurns,
    readonly sender: TurnSender,
    private readonly host: ConversationHost,
    readonly listener: ConversationEndListener,
    readonly thinkTimeMs: number,
    /** Offset from slot 0 past which no turn starts (the closed loop's end); Infinity for the open loop. */
    private readonly endMs: number,
  ) {}

  /** An arrival (plan slot `slot`): a new conversation's first turn, intended at `intended`, dispatched at `t`. */
  start(slot: number, intended: number, t: number, measured: boolean, queued: boolean): void {
    const script = this.turns.nextScriptFor();
    let total = this.turns.drawTurns();
    if (script.later !== null) total = Math.min(total, 1 + script.later.length);
    const c = new Conversation(this, script, total, measured, slot);
    if (measured) this.wl.conversation!.started++;
    this.live.add(c);
    c.send(intended, t, queued, { body: this.turns.body(c.history, script.firstOutputTokens), inputTokens: script.firstInputTokens, outputTokens: script.firstOutputTokens });
  }

  /** Whether a conversation may send another turn at `t`. */
  mayGoOn(t: number): boolean {
    return !this.host.stopping && t - this.host.t0 < this.endMs;
  }

  ended(c: Conversation): void {
    this.live.delete(c);
  }

  /** The worker is done: conversations waiting out a think time send nothing more. */
  close(): void {
    for (const c of this.live) c.cancel();
    this.live.clear();
  }
}

class Conversation implements ConversationTurn {
  readonly history: ChatMessage[];
  private turn = 0;
  private timer: NodeJS.Timeout | null = null;
  /** When the next turn is due: the reply's end plus the think time (its intended instant). */
  private dueAt = 0;
  /** The running prompt size, for the input count when the server gives no usage. */
  private inputTokens = 0;
  private lastOutputTokens = 0;

  constructor(
    private readonly r: ConversationRunner,
    private readonly script: ConversationScript,
    private readonly total: number,
    private readonly measured: boolean,
    /** The plan slot that started it: every turn's request row carries it. */
    private readonly slot: number,
  ) {
    this.history = script.first.map((m) => ({ role: m.role, content: m.content }));
  }

  send(intended: number, t: number, queued: boolean, req: PreparedRequest): void {
    this.turn++;
    this.inputTokens = req.inputTokens;
    this.lastOutputTokens = req.outputTokens;
    this.r.sender.sendTurn(this.r.wl, req, this.slot, intended, t, this.measured, queued, this, this.turn);
  }

  turnEnded(ctx: Ctx, errClass: string | null, t: number): boolean {
    const r = this.r;
    if (errClass !== null || r.sender.aborted) return this.end();
    if (this.turn >= this.total) {
      if (this.measured) r.wl.conversation!.finished++;
      return this.end();
    }
    if (!r.mayGoOn(t)) return this.end();
    const res = ctx.response;
    this.history.push({ role: 'assistant', content: r.wl.prep.stream ? res.sse!.text() : res.text });
    return true;
  }

  next(t: number): void {
    const think = this.r.thinkTimeMs;
    this.dueAt = t + think;
    if (think > 0) this.timer = setTimeout(this.fire, think);
    else this.fire();
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private end(): false {
    this.r.ended(this);
    return false;
  }

  /** The think time is over: the next turn, unless the run ended or maxInFlight is reached. */
  private readonly fire = (): void => {
    this.timer = null;
    const r = this.r;
    const t = performance.now();
    const p = r.mayGoOn(t) && r.sender.count < r.sender.maxInFlight ? r.turns.laterTurn(this.script, this.turn + 1) : null;
    if (p === null) {
      this.end();
      r.listener.requestFinished(t, this.measured);
      return;
    }
    this.history.push({ role: 'user', content: p.text });
    const inputTokens = this.inputTokens + this.lastOutputTokens + p.inputTokens;
    // A timer may fire a fraction of a ms early: the turn is then due when it goes.
    this.send(Math.min(this.dueAt, t), t, false, { body: r.turns.body(this.history, p.outputTokens), inputTokens, outputTokens: p.outputTokens });
  };
}
