/**
 * What the proxy child's memory is made of, per thread: each thread's V8 heap (committed, used,
 * the young generation, code) and the process's resident pages by kind (V8's pages, malloc's
 * arenas, the node binary). The worker threads answer over a BroadcastChannel (the bench's
 * wrappers of the real entries add it), so the product's own messages are not touched.
 */
import { readFileSync } from "node:fs";
import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";
import { BroadcastChannel, isMainThread, threadId } from "node:worker_threads";

const CHANNEL = "bench-thread-memory";

export interface ThreadMemory {
  thread: string;
  /** V8's committed heap (every space), MB. */
  heapMb: number;
  usedMb: number;
  /** The young generation's committed size (new space + new large objects), MB. */
  youngMb: number;
  codeMb: number;
  /** Outside the heap: array buffers and V8's own malloc, MB. */
  externalMb: number;
  mallocedMb: number;
}

const MB = 2 ** 20;

export function threadMemory(thread: string): ThreadMemory {
  const h = getHeapStatistics();
  const spaces = new Map(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]));
  return {
    thread,
    heapMb: h.total_heap_size / MB,
    usedMb: h.used_heap_size / MB,
    youngMb: ((spaces.get("new_space") ?? 0) + (spaces.get("new_large_object_space") ?? 0)) / MB,
    codeMb: ((spaces.get("code_space") ?? 0) + (spaces.get("code_large_object_space") ?? 0)) / MB,
    externalMb: h.external_memory / MB,
    mallocedMb: h.malloced_memory / MB,
  };
}

/** In a worker thread: answer the main thread's asks with this thread's figures. */
export function answerMemoryAsks(thread: string): void {
  if (isMainThread) return;
  const ch = new BroadcastChannel(CHANNEL);
  ch.onmessage = (e) => {
    if ((e as MessageEvent).data === "ask") ch.postMessage(threadMemory(`${thread} (#${threadId})`));
  };
  ch.unref();
}

/** In the main thread: its own figures and every answering worker's (waits at most `waitMs`). */
export async function allThreadsMemory(expected: number, waitMs = 2000): Promise<ThreadMemory[]> {
  const out: ThreadMemory[] = [threadMemory("forwarding (main)")];
  const ch = new BroadcastChannel(CHANNEL);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    ch.onmessage = (e) => {
      const d = (e as MessageEvent).data;
      if (d !== "ask") out.push(d as ThreadMemory);
      if (out.length > expected) {
        clearTimeout(timer);
        resolve();
      }
    };
    ch.postMessage("ask");
  });
  ch.close();
  return out;
}

/** The process's resident memory by kind, from /proc/<pid>/smaps (Linux), MB; null elsewhere. */
export function residentByKind(pid: number): Record<string, number> | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, "utf8");
  } catch {
    return null;
  }
  const kinds: Record<string, number> = {};
  let kind = "";
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (m) {
      const start = Number.parseInt(m[1] as string, 16);
      const size = Number.parseInt(m[2] as string, 16) - start;
      const name = m[4] ?? "";
      // glibc's thread arenas are 64 MiB-aligned reservations high in the address space.
      if (name === "[heap]") kind = "malloc (main arena)";
      else if (name.startsWith("/") && name.includes("node"))
        kind = name.endsWith(".node") ? "addons" : "node binary";
      else if (name.startsWith("/"))
        kind = /\.db(-shm)?$/.test(name) ? "sqlite files (mmap, shm)" : "libraries";
      else if (name !== "") kind = "other";
      else if (start >= 0x7f0000000000 && start % (64 * MB) === 0) kind = "malloc (thread arenas)";
      else if (size === 256 * 1024) kind = "V8 heap pages";
      else kind = "other anonymous";
      continue;
    }
    const r = /^Rss:\s+(\d+) kB/.exec(line);
    if (r) kinds[kind] = (kinds[kind] ?? 0) + Number(r[1]) / 1024;
  }
  return kinds;
}
