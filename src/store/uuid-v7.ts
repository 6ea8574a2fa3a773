/** node:crypto, loaded on first use: a command that never hashes (`list`, `--help`) does not pay for it. */
let cryptoModule: typeof import("node:crypto") | undefined;
const nodeCrypto = () => (cryptoModule ??= process.getBuiltinModule("node:crypto"));

/**
 * UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit
 * counter (monotonic within this process, method 1 of the RFC), then 62
 * random bits. New rows then land at the end of the id index instead of on a
 * random page, which keeps bulk inserts fast; the ids are ordinary UUIDs.
 */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
let lastMs = -1;
let counter = 0;

function randomBytes(count: number): Buffer {
  if (poolOffset + count > pool.length) {
    nodeCrypto().randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += count;
  return pool.subarray(poolOffset - count, poolOffset);
}

export function uuidV7(nowMs: number = Date.now()): string {
  const rand = randomBytes(10);
  if (nowMs > lastMs) {
    lastMs = nowMs;
    counter = ((rand[0]! << 8) | rand[1]!) & 0x7ff; // random start in the lower half leaves room to count
  } else if (++counter > 0xfff) {
    lastMs += 1; // counter exhausted: borrow the next millisecond, as the RFC allows
    counter = 0;
  }
  const bytes = Buffer.allocUnsafe(16);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (rand[2]! & 0x3f);
  rand.copy(bytes, 9, 3, 10);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
