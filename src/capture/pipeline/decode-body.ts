import * as zlib from "node:zlib";

/**
 * Undoes `content-encoding` on the capture copy only (the client always gets
 * the original bytes). Runs on zlib's thread pool, tolerates a copy cut at
 * the capture cap, and caps the output so that a compression bomb cannot
 * blow up memory.
 */

export const DECODED_MAX_BYTES = 32 * 1024 * 1024;

type Decoder = (buf: Buffer, cb: (err: Error | null, out: Buffer) => void) => void;

const gzipLike: zlib.ZlibOptions = {
  finishFlush: zlib.constants.Z_SYNC_FLUSH,
  maxOutputLength: DECODED_MAX_BYTES,
};

// zstd arrived in node:zlib with Node 22.15; use it when this runtime has it.
type ZstdDecompress = (b: Buffer, options: object, cb: (err: Error | null, out: Buffer) => void) => void;
const zstd = (zlib as unknown as { zstdDecompress?: ZstdDecompress }).zstdDecompress;

const DECODERS: Record<string, Decoder | undefined> = {
  gzip: (b, cb) => zlib.gunzip(b, gzipLike, cb),
  "x-gzip": (b, cb) => zlib.gunzip(b, gzipLike, cb),
  deflate: (b, cb) =>
    // "deflate" is zlib-wrapped per the RFC, but some servers send raw deflate.
    zlib.inflate(b, gzipLike, (err, out) => (err ? zlib.inflateRaw(b, gzipLike, cb) : cb(null, out))),
  br: (b, cb) =>
    zlib.brotliDecompress(
      b,
      {
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
        maxOutputLength: DECODED_MAX_BYTES,
      },
      cb,
    ),
  zstd: zstd ? (b, cb) => zstd(b, { maxOutputLength: DECODED_MAX_BYTES }, cb) : undefined,
};

export type DecodeResult = { ok: true; body: Buffer } | { ok: false; reason: string };

function run(decoder: Decoder, buf: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => decoder(buf, (err, out) => (err ? reject(err) : resolve(out))));
}

/** Decodes `body` per a `content-encoding` value (a comma list, applied in order). */
export async function decodeBody(body: Buffer, contentEncoding: string | undefined): Promise<DecodeResult> {
  const codings = (contentEncoding ?? "")
    .split(",")
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity");
  let out = body;
  for (const coding of codings.reverse()) {
    const decoder = DECODERS[coding];
    if (!decoder) return { ok: false, reason: `content-encoding ${coding.slice(0, 32)} is not supported` };
    if (out.length === 0) continue;
    try {
      out = await run(decoder, out);
    } catch (e) {
      return {
        ok: false,
        reason: `could not decode ${coding} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
      };
    }
  }
  return { ok: true, body: out };
}

/** The encodings this runtime can decode (doctor and docs). */
export function supportedEncodings(): string[] {
  return Object.entries(DECODERS)
    .filter(([, d]) => d !== undefined)
    .map(([n]) => n);
}
