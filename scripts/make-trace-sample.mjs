// Writes scenarios/traces/mooncake-sample.jsonl: a small synthetic trace in the Mooncake format
// (timestamp ms, input_length, output_length, hash_ids of 512-token blocks), made up here with a
// seeded generator, not taken from a published trace. Requests share prefix blocks the way the
// Mooncake traces do: a few system prompts, and conversations whose later turns repeat the
// earlier turns' blocks. Run: node scripts/make-trace-sample.mjs
import { writeFileSync } from 'node:fs';

const BLOCK = 512;
let state = 0x2545f491;
const rand = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
};
const between = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

let nextId = 0;
const systems = Array.from({ length: 4 }, () => [nextId++]); // one shared block each
const conversations = [];
const lines = [];
let t = 0;
for (let i = 0; i < 300; i++) {
  // Poisson arrivals at about 10 per second.
  if (i > 0) t += -Math.log(1 - rand()) * 100;
  let ids;
  if (conversations.length > 0 && rand() < 0.35) {
    // A later turn: the conversation's blocks so far, then one or two new ones.
    const c = conversations[between(0, conversations.length - 1)];
    for (let k = between(1, 2); k > 0; k--) c.push(nextId++);
    ids = [...c];
  } else {
    ids = [...systems[between(0, systems.length - 1)]];
    for (let k = between(0, 2); k > 0; k--) ids.push(nextId++);
    conversations.push(ids.slice());
    if (conversations.length > 12) conversations.shift();
  }
  // The last block is partial: (n - 1) * 512 < input_length <= n * 512.
  const input = (ids.length - 1) * BLOCK + between(16, BLOCK);
  lines.push(JSON.stringify({ timestamp: Math.round(t), input_length: input, output_length: between(8, 96), hash_ids: ids }));
}
writeFileSync(new URL('../scenarios/traces/mooncake-sample.jsonl', import.meta.url), lines.join('\n') + '\n');
console.log(`${lines.length} requests over ${(t / 1000).toFixed(1)} s`);
