// A vLLM-shaped SSE server for bench/llm.mjs whose token times are known exactly: every stream
// sends its role chunk at once, its first content token FIRST_MS after the request arrived, then one
// token every GAP_MS, as many as the request's max_tokens (each chunk with continuous usage, the last
// with finish_reason "length", then a usage-only chunk and [DONE]).
//
// It speaks HTTP/1.1 on a raw net.Server with hand-written chunked framing, because node:http's
// per-write cost would make the server, not the generator, the limit at tens of thousands of chunks
// per second. Token times are absolute targets (arrival + FIRST_MS + i × GAP_MS), so timer lateness
// never accumulates; the server also stamps what it actually sent, per token, and keeps the actual
// gaps in one HDR histogram per wall-clock second, so the bench compares the generator's itl with the
// truth over the same seconds.
//
// GET /__stats → {tokensSent, streams, seconds: {<epoch s>: encoded µs histogram of actual gaps},
//                 tokensPerSecond: {<epoch s>: tokens sent},
//                 ttft: {<epoch s of arrival>: encoded µs histogram of arrival → first token written}}
// GET /__reset → clears the counters. Prints its port on stdout.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';

const FIRST_MS = Number(process.env.FIRST_MS ?? 150);
const GAP_MS = Number(process.env.GAP_MS ?? 15);

let tokensSent = 0;
let streams = 0;
let perSecond = new Map();
/** tokens sent per wall-clock second (epoch s) */
let tokensPerSecond = new Map();
/** the server's own time to first token, per second of the request's arrival (epoch s) */
let ttftPerSecond = new Map();

function histOf(map, epochS) {
  let h = map.get(epochS);
  if (!h) {
    h = hdr.build({ bitBucketSize: 64, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
    map.set(epochS, h);
  }
  return h;
}
const epochS = (t) => Math.floor((performance.timeOrigin + t) / 1000);

const HEAD = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n');
const ROLE = 'data: {"id":"chatcmpl-b","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":{"prompt_tokens":16,"total_tokens":16,"completion_tokens":0}}\n\n';

function chunked(s) {
  return `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
}

function tokenEvent(i, last) {
  const fin = last ? '"length"' : 'null';
  return `data: {"id":"chatcmpl-b","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" tok"},"logprobs":null,"finish_reason":${fin}}],"usage":{"prompt_tokens":16,"total_tokens":${16 + i},"completion_tokens":${i}}}\n\n`;
}

// Two FIFO queues whose due times only grow: streams waiting for their first token (in arrival
// order) and streams waiting for a later one (in the order they sent the previous one). Popping the
// smaller head of the two serves every token in due order without a heap.
const firstQ = [];
let firstHead = 0;
const nextQ = [];
let nextHead = 0;
let timer = null;
let immediate = null;

function compact(q, head) {
  if (head > 4096 && head * 2 > q.length) {
    q.splice(0, head);
    return 0;
  }
  return head;
}

function pump() {
  timer = null;
  immediate = null;
  for (;;) {
    const a = firstHead < firstQ.length ? firstQ[firstHead] : null;
    const b = nextHead < nextQ.length ? nextQ[nextHead] : null;
    if (!a && !b) break;
    const st = !b || (a && a.due <= b.due) ? a : b;
    const now = performance.now();
    if (st.due > now) {
      schedule(st.due - now);
      break;
    }
    if (st === a) firstHead++;
    else nextHead++;
    if (st.sock.destroyed) continue;
    st.sent++;
    const last = st.sent === st.total;
    let out = chunked(tokenEvent(st.sent, last));
    if (last) out += chunked('data: {"id":"chatcmpl-b","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":16,"total_tokens":' + (16 + st.total) + ',"completion_tokens":' + st.total + '}}\n\n') + chunked('data: [DONE]\n\n') + '0\r\n\r\n';
    st.sock.write(out);
    tokensSent++;
    const t = performance.now();
    const sec = epochS(t);
    tokensPerSecond.set(sec, (tokensPerSecond.get(sec) ?? 0) + 1);
    if (st.sent > 1) histOf(perSecond, sec).recordValue(Math.max(0, Math.round((t - st.lastAt) * 1000)));
    else histOf(ttftPerSecond, epochS(st.arrivedMs)).recordValue(Math.round((t - st.arrivedMs) * 1000));
    st.lastAt = t;
    if (last) {
      streams++;
      st.sock.busy = false;
      st.sock.drainRequests();
    } else {
      st.due += GAP_MS;
      nextQ.push(st);
    }
  }
  firstHead = compact(firstQ, firstHead);
  nextHead = compact(nextQ, nextHead);
}

function schedule(leftMs) {
  if (timer || immediate) return;
  // a timer gets within a millisecond (they fire up to ~1 ms late), setImmediate does the rest
  if (leftMs > 1.5) timer = setTimeout(pump, leftMs - 1);
  else immediate = setImmediate(pump);
}

function startStream(sock, body, arrivedMs) {
  let total = 16;
  try {
    const j = JSON.parse(body);
    total = Math.max(1, Number(j.max_tokens) || 16);
  } catch {}
  sock.write(HEAD);
  sock.write(chunked(ROLE));
  const st = { sock, arrivedMs, due: arrivedMs + FIRST_MS, total, sent: 0, lastAt: 0 };
  sock.busy = true;
  firstQ.push(st);
  schedule(st.due - performance.now());
}

function answerJson(sock, obj) {
  const b = JSON.stringify(obj);
  sock.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(b)}\r\n\r\n${b}`);
}

const server = net.createServer((sock) => {
  sock.setNoDelay(true);
  let buf = '';
  sock.busy = false;
  // HTTP/1.1 without pipelining from undici: one request at a time per connection.
  sock.drainRequests = () => {
    while (!sock.busy) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.slice(0, end);
      const m = /content-length:\s*(\d+)/i.exec(head);
      const len = m ? Number(m[1]) : 0;
      if (buf.length < end + 4 + len) return;
      const body = buf.slice(end + 4, end + 4 + len);
      buf = buf.slice(end + 4 + len);
      const arrived = performance.now();
      const line = head.slice(0, head.indexOf('\r\n'));
      if (line.startsWith('GET /__stats')) {
        const seconds = {};
        for (const [s, h] of perSecond) seconds[s] = hdr.encodeIntoCompressedBase64(h);
        const ttft = {};
        for (const [s, h] of ttftPerSecond) ttft[s] = hdr.encodeIntoCompressedBase64(h);
        answerJson(sock, { tokensSent, streams, seconds, tokensPerSecond: Object.fromEntries(tokensPerSecond), ttft });
      } else if (line.startsWith('GET /__reset')) {
        tokensSent = 0;
        streams = 0;
        for (const h of perSecond.values()) h.destroy?.();
        for (const h of ttftPerSecond.values()) h.destroy?.();
        perSecond = new Map();
        ttftPerSecond = new Map();
        tokensPerSecond = new Map();
        answerJson(sock, { ok: true });
      } else if (line.startsWith('POST')) {
        startStream(sock, body, arrived);
      } else {
        answerJson(sock, {});
      }
    }
  };
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    sock.drainRequests();
  });
  sock.on('error', () => {});
});
// a deep accept queue: thousands of streams open their connections within the first seconds
server.listen({ port: 0, host: '127.0.0.1', backlog: 8192 }, () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
