import type { ExchangeResult } from "../../core/capture/index.js";
import {
  abandonEpisode,
  addUsage,
  type Episode,
  idleReason,
  MOVED_ON_REASON,
} from "../../core/episodes/index.js";
import type { Outbox } from "./outbox.js";

/**
 * Follows each conversation's episode in progress and queues an episode
 * when it is whole: when a reply ends it, when the conversation's next
 * request shows it was abandoned (interrupted, then something new asked),
 * or when no request came for `idleMs`. The episode in progress lives in
 * the outbox database, written in the same transaction as what it queues,
 * so a restart (kill -9 included) loses nothing and queues nothing twice.
 */

/** Default idle time after which an episode in progress is stored as incomplete. */
export const DEFAULT_EPISODE_IDLE_MS = 5 * 60_000;

export type EpisodeUpdate = Extract<ExchangeResult, { kind: "episode" }>;

export interface TrackResult {
  /** Episodes written to the outbox (complete, or abandoned and marked incomplete). */
  queued: Episode[];
  /** Of `queued`, how many the outbox already had (a resent request). */
  duplicates: number;
}

export class EpisodeTracker {
  constructor(
    private readonly outbox: Outbox,
    private readonly idleMs: number = DEFAULT_EPISODE_IDLE_MS,
  ) {}

  /**
   * Applies one request's view of its episode. Throws when the outbox cannot
   * be written (nothing of this update is then written); the caller keeps
   * the update and retries.
   */
  observe(update: EpisodeUpdate, now = Date.now(), journalId: number | null = null): TrackResult {
    return this.outbox.transaction(() => this.apply(update, now, journalId));
  }

  /** `observe` without its own transaction: for a caller that records many in one (`Outbox.transaction`). */
  apply(update: EpisodeUpdate, now: number, journalId: number | null): TrackResult {
    // The exchange leaves the journal in the same transaction that records what it meant.
    if (journalId !== null) this.outbox.forgetExchange(journalId);
    const out: TrackResult = { queued: [], duplicates: 0 };
    const queue = (ep: Episode) => {
      out.queued.push(ep);
      if (!this.outbox.enqueue(ep, now)) out.duplicates++;
    };
    const pending = this.outbox.pendingEpisode(update.conversation);
    let episode = update.episode;
    if (pending && pending.identity === update.identity) {
      // The same episode, one request further: its usage adds up, its start stays.
      episode = {
        ...episode,
        usage: addUsage(pending.episode.usage, episode.usage),
        started_at: pending.episode.started_at,
        requests: Math.max(episode.requests, pending.episode.requests + 1),
      };
    } else if (pending) {
      queue(abandonEpisode(pending.episode, MOVED_ON_REASON));
    }
    if (update.ends) {
      if (pending) this.outbox.deletePendingEpisode(update.conversation);
      queue(episode);
    } else {
      this.outbox.savePendingEpisode({
        conversation: update.conversation,
        identity: update.identity,
        episode,
        updatedAt: now,
      });
    }
    return out;
  }

  /** Queues, as incomplete, every episode in progress with no request for `idleMs`. */
  sweep(now = Date.now()): TrackResult {
    const out: TrackResult = { queued: [], duplicates: 0 };
    const reason = idleReason(this.idleMs);
    for (;;) {
      const idle = this.outbox.idlePendingEpisodes(now - this.idleMs, 100);
      if (idle.length === 0) return out;
      this.outbox.transaction(() => {
        for (const p of idle) {
          const ep = abandonEpisode(p.episode, reason);
          out.queued.push(ep);
          if (!this.outbox.enqueue(ep, now)) out.duplicates++;
          this.outbox.deletePendingEpisode(p.conversation);
        }
      });
    }
  }
}
