import type * as http from "node:http";
import { isObject } from "../../core/capture/message-accumulator.js";
import { parseRequestBody, type RequestBody } from "../../core/capture/request-body.js";
import { sessionId } from "../../core/capture/session-fields.js";
import type { Logger } from "../../core/logger.js";
import {
  type PersonTurn,
  personTurns,
  pickMemories,
  renderNotes,
  turnQuery,
  withNotes,
} from "../../core/recall/proxy-injection.js";
import type { MemoryStore } from "../../store/memory-store.js";
import { spliceNotes } from "./body-splice.js";
import type { InjectionLedger, LedgerEntry } from "./injection-ledger.js";

/**
 * Proxy-side recall (MEMORY_INJECT=on) for one /v1/messages request: reads
 * the body, adds again the notes every earlier person turn got, searches for
 * the newest person turn once (bounded by a timeout; a slow or failing search
 * means no notes for that turn) and records what it added in the ledger
 * (written by `commit` once the request is on its way).
 * Anything it cannot read (compressed, too large, not JSON) is forwarded as
 * it came.
 */

export const INJECT_RESPONSE_HEADER = "x-memory-injected";
export const INJECT_REPLAYED_HEADER = "x-memory-injected-replayed";
export const INJECT_SKIPPED_HEADER = "x-memory-inject-skipped";

export interface InjectorOptions {
  store: MemoryStore;
  ledger: InjectionLedger;
  userId: string;
  maxChars: number;
  minScore: number;
  timeoutMs: number;
  /** Bodies larger than this are forwarded as they came. */
  maxBodyBytes: number;
  logger?: Logger | undefined;
}

export interface PreparedRequest {
  /** The body to forward (the client's own bytes when nothing was added). */
  forward: Buffer;
  /** The client's own bytes (what capture stores). */
  captured: Buffer;
  /** Header pairs for the client's response. */
  responseHeaders: string[];
  /**
   * Writes the ledger entries this request recorded. Called right after the
   * request was handed to the upstream, in the same synchronous step, so that
   * the write is off the way to the upstream and on disk before any reply.
   */
  commit(): void;
}

/** Why the newest turn got no search (for the response header and the debug log). */
type Skip = "timeout" | "search-failed";

const SEARCH_LIMIT = 10;

function timeout(ms: number): { promise: Promise<"timeout">; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

export class RequestInjector {
  constructor(private readonly opts: InjectorOptions) {}

  private readonly commit = (): void => {
    this.opts.ledger.commit();
  };

  /** Whether this request can be read whole for injection (else it is streamed through unchanged). */
  accepts(req: http.IncomingMessage): boolean {
    const encoding = req.headers["content-encoding"];
    if (encoding !== undefined && encoding !== "identity") return false;
    const length = Number(req.headers["content-length"]);
    return Number.isSafeInteger(length) && length > 0 && length <= this.opts.maxBodyBytes;
  }

  /** Reads the body and adds the notes; rejects only when the client's body could not be read. */
  /** `user`: in team mode the caller's (its memories are searched, its ledger entries kept apart). */
  async prepare(req: http.IncomingMessage, user?: string | undefined): Promise<PreparedRequest> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const original = Buffer.concat(chunks);
    try {
      return await this.inject(original, req.headers, user ?? null);
    } catch (e) {
      this.opts.logger?.warn("memory injection failed; forwarding unchanged", {
        error: e instanceof Error ? e.name : "error",
      });
      return {
        forward: original,
        captured: original,
        responseHeaders: [INJECT_RESPONSE_HEADER, "0"],
        commit: this.commit,
      };
    }
  }

  private async inject(
    original: Buffer,
    headers: http.IncomingHttpHeaders,
    user: string | null,
  ): Promise<PreparedRequest> {
    // Team mode: one person's turn is never another's, even with the same words.
    const keyOf = (key: string) => (user === null ? key : `${user}\u0000${key}`);
    const unchanged = (pairs: string[]): PreparedRequest => ({
      forward: original,
      captured: original,
      responseHeaders: pairs,
      commit: this.commit,
    });
    const request = parseRequestBody(original);
    if (!request) return unchanged([]);
    const turns = personTurns(request);
    const newest = turns.at(-1);
    const messageCount = request.messages.length;
    if (!newest) return unchanged([INJECT_RESPONSE_HEADER, "0"]);

    const notes = new Map<number, string>();
    const shown = new Set<string>();
    let replayed = 0;
    // Every turn's record in one lookup (a long conversation has dozens of person turns).
    const recorded = this.opts.ledger.getMany(turns.map((t) => keyOf(t.key)));
    for (const turn of turns.slice(0, -1)) {
      const entry = recorded.get(keyOf(turn.key));
      if (!entry || entry.notes === "") continue;
      notes.set(turn.index, entry.notes);
      for (const id of entry.ids) shown.add(id);
      replayed += entry.ids.length;
    }

    let entry = recorded.get(keyOf(newest.key)) ?? null;
    let skipped: Skip | null = null;
    // Only a person turn that ends the request is searched for; a later tool round trip replays it.
    if (!entry && newest.index === messageCount - 1) {
      const found = await this.search(request, turns, headers, shown, user ?? this.opts.userId);
      // A turn without notes now never gets them later: its bytes may already be cached.
      if (typeof found === "string") skipped = found;
      entry = this.opts.ledger.put(keyOf(newest.key), typeof found === "string" ? EMPTY : found);
    }
    let added = 0;
    if (entry && entry.notes !== "") {
      notes.set(newest.index, entry.notes);
      added = entry.ids.length;
    }
    const pairs = [INJECT_RESPONSE_HEADER, String(added)];
    if (replayed > 0) pairs.push(INJECT_REPLAYED_HEADER, String(replayed));
    if (skipped) pairs.push(INJECT_SKIPPED_HEADER, skipped);
    if (notes.size === 0) return unchanged(pairs);
    this.opts.logger?.debug("memories injected", { added, replayed, turns: notes.size });
    return {
      forward:
        spliceNotes(original, notes, messageCount, contentKinds(request, notes)) ??
        reserialised(request, notes),
      captured: original,
      responseHeaders: pairs,
      commit: this.commit,
    };
  }

  private async search(
    request: RequestBody,
    turns: readonly PersonTurn[],
    headers: http.IncomingHttpHeaders,
    shown: ReadonlySet<string>,
    userId: string,
  ): Promise<LedgerEntry | Skip> {
    const query = turnQuery(request, turns.at(-1)?.index ?? -1);
    if (query === "") return EMPTY;
    const limit = timeout(this.opts.timeoutMs);
    try {
      const searching = this.opts.store.search(query, {
        filters: { user_id: userId },
        limit: SEARCH_LIMIT,
        // As the prompt hook: below it nothing is picked, so the store need not read those rows.
        threshold: this.opts.minScore,
      });
      // A search that loses the race may still fail later: nobody is waiting for it then.
      searching.catch(() => {});
      const results = await Promise.race([searching, limit.promise]);
      if (results === "timeout") {
        this.opts.logger?.debug("memory search for injection timed out", { ms: this.opts.timeoutMs });
        return "timeout";
      }
      const picked = pickMemories(results, {
        minScore: this.opts.minScore,
        sessionId: sessionId(headers, request),
        alreadyShown: shown,
        conversationWords: new Set(turns.map((t) => turnQuery(request, t.index))),
      });
      const rendered = renderNotes(picked, this.opts.maxChars);
      return rendered ? { notes: rendered.text, ids: rendered.ids } : EMPTY;
    } catch (e) {
      this.opts.logger?.warn("memory search for injection failed", {
        error: e instanceof Error ? e.name : "error",
      });
      return "search-failed";
    } finally {
      limit.cancel();
    }
  }
}

const EMPTY: LedgerEntry = { notes: "", ids: [] };

/** The content kind of each message that gets notes, as the parsed body has it. */
function contentKinds(
  request: RequestBody,
  notes: ReadonlyMap<number, string>,
): Map<number, "string" | "array"> {
  const kinds = new Map<number, "string" | "array">();
  for (const index of notes.keys()) {
    const message = request.messages[index];
    const content = isObject(message) ? message.content : undefined;
    if (typeof content === "string") kinds.set(index, "string");
    else if (Array.isArray(content)) kinds.set(index, "array");
  }
  return kinds;
}

/** The whole body serialised again with the notes (when the bytes could not be spliced). */
function reserialised(request: RequestBody, notes: ReadonlyMap<number, string>): Buffer {
  return Buffer.from(JSON.stringify(withNotes(request, notes)), "utf8");
}
