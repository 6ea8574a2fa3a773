import { MemoryError } from "./errors.js";

/**
 * Who a team-mode caller is: decided by the token it presented, never by an
 * argument. `teams` are the team scopes (user ids `team:<name>`) the token
 * may read and add to; an admin may act for any user (forget, export).
 */
export interface Identity {
  /** The token's fingerprint (never the token). */
  tokenId: string;
  user: string;
  admin: boolean;
  teams: readonly string[];
}

export type Access = "read" | "write" | "forget" | "export";

/** The user id of a team's shared memory. */
export const TEAM_PREFIX = "team:";

export function teamUserId(team: string): string {
  return `${TEAM_PREFIX}${team}`;
}

const VERB: Record<Access, string> = {
  read: "read",
  write: "change",
  forget: "forget",
  export: "export",
};

/** Why this identity may not do this to the memories of `userId`, or null when it may. */
export function accessRefusal(identity: Identity, userId: string, access: Access): string | null {
  if (userId === identity.user || identity.admin) return null;
  const team = userId.startsWith(TEAM_PREFIX) && identity.teams.includes(userId.slice(TEAM_PREFIX.length));
  if (team && (access === "read" || access === "write")) return null;
  const teams = identity.teams.map((t) => `"${teamUserId(t)}"`).join(", ");
  const why = team
    ? `only an admin token may ${VERB[access]} a team's memories`
    : `this token belongs to user "${identity.user}"`;
  const instead = teams ? ` or name your team's (${teams})` : "";
  return `${why}; it may not ${VERB[access]} the memories of user_id "${userId}". Omit user_id to use your own${instead}.`;
}

/** Throws FORBIDDEN when the identity may not; no identity (local single-user mode) may do anything. */
export function assertAccess(identity: Identity | undefined, userId: string, access: Access): void {
  if (!identity) return;
  const why = accessRefusal(identity, userId, access);
  if (why !== null) throw new MemoryError("FORBIDDEN", why);
}
