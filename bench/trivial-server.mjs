// A trivial KServe-like server for benchmarks: answers every request with a fixed predict body,
// optionally after a fixed delay. Prints its port on stdout; counts requests and reports the count on
// GET /__count so the bench can compare what the server saw with what the generator sent.
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:http';

const delayMs = Number(process.env.DELAY_MS ?? 0);
const body = Buffer.from('{"predictions":[0]}');
let count = 0;
const server = createServer((req, res) => {
  if (req.url === '/__count') {
    res.end(String(count));
    return;
  }
  if (req.url === '/__reset') {
    count = 0;
    res.end('0');
    return;
  }
  const arrived = performance.now();
  // Only load counts: servebench's one GET check request before a run is not part of it.
  if (req.method === 'POST') count++;
  req.resume();
  req.on('end', () => {
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    };
    if (delayMs <= 0) return answer();
    // A service time of exactly delayMs: a timer gets close, then spin on setImmediate (timers fire
    // up to ~1 ms late, which would add to the latency the bench checks).
    const due = arrived + delayMs;
    const tick = () => {
      const left = due - performance.now();
      if (left <= 0) answer();
      else if (left > 2) setTimeout(tick, left - 1.5);
      else setImmediate(tick);
    };
    tick();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
