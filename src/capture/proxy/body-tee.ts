/**
 * A bounded copy of a body for capture. It keeps references to the chunks
 * that pass through (no copying on the hot path) until `cap` bytes, then
 * only counts. Forwarding never waits for it.
 */
export class BodyTee {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  /** Every byte seen, kept or not. */
  total = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.truncated) return;
    const room = this.cap - this.kept;
    if (chunk.length <= room) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
      return;
    }
    if (room > 0) this.chunks.push(chunk.subarray(0, room));
    this.kept = this.cap;
    this.truncated = true;
  }

  /** The kept chunks as they came (references, not copies; a new array, so `release` leaves it alone). */
  parts(): Buffer[] {
    return this.chunks.slice();
  }

  /** The kept bytes, as one buffer (called off the hot path). */
  bytes(): Buffer {
    if (this.chunks.length === 1) return this.chunks[0] as Buffer;
    return Buffer.concat(this.chunks, this.kept);
  }

  /** Lets go of the chunks. */
  release(): void {
    this.chunks.length = 0;
    this.kept = 0;
  }
}
