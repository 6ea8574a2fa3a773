/**
 * An episode that will not end: the person moved on, or nothing came for
 * the idle time. Both capture paths mark it the same way, so the proxy and
 * the transcript reader store the same text under the same key. Pure.
 */
import type { Episode } from "./types.js";

/** Why an episode is incomplete when the session's next request is something new. */
export const MOVED_ON_REASON = "interrupted: the session moved on to a new request";

/** Why an episode is incomplete when nothing came for `idleMs`. */
export function idleReason(idleMs: number): string {
  const minutes = Math.round(idleMs / 60_000);
  return `abandoned: no request for ${minutes >= 1 ? `${minutes} min` : `${Math.round(idleMs / 1000)} s`}`;
}

/** The episode stored as incomplete, under its incomplete key, with `reason` (and the reply's own, when it has one). */
export function abandonEpisode(ep: Episode, reason: string): Episode {
  return {
    ...ep,
    key: ep.incomplete_key,
    complete: false,
    incomplete_reason:
      ep.incomplete_reason && ep.incomplete_reason !== "interrupted before the final answer"
        ? `${reason} (${ep.incomplete_reason})`
        : reason,
  };
}
