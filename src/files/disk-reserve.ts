import {
  closeSync,
  existsSync,
  openSync,
  renameSync,
  rmSync,
  statfsSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

/**
 * Space kept back for a full disk: `<dataDir>/disk-reserve`, a file of zeros
 * the proxy writes while there is room. When a write to the capture journal
 * or the outbox fails because the disk is full, the file is deleted and the
 * write tried again, so the exchanges captured meanwhile are still kept on
 * disk (and survive a restart) instead of living only in memory. Once there
 * is room again the file is written anew.
 */
export const DISK_RESERVE_FILE = "disk-reserve";

export function diskReservePath(dataDir: string): string {
  return join(dataDir, DISK_RESERVE_FILE);
}

/**
 * True when the reserve is not in place (given up, or never written for want of room) and the
 * file system has less than three times its size free: the space left is for captured turns
 * (the journal and the outbox), so writes of other kinds (the memory store's) should wait.
 */
export function diskIsTight(dataDir: string, bytes: number): boolean {
  if (bytes <= 0 || existsSync(diskReservePath(dataDir))) return false;
  try {
    const fs = statfsSync(dataDir);
    return fs.bavail * fs.bsize < bytes * 3;
  } catch {
    return false;
  }
}

export type ReserveState = "present" | "created" | "no-room" | "off";

/**
 * Makes sure the reserve exists. It is only written when the file system has
 * at least three times its size free, so that it never takes the last space.
 */
export function ensureDiskReserve(dataDir: string, bytes: number): ReserveState {
  if (bytes <= 0) return "off";
  const path = diskReservePath(dataDir);
  if (existsSync(path) && statSync(path).size >= bytes) return "present";
  try {
    const fs = statfsSync(dataDir);
    if (fs.bavail * fs.bsize < bytes * 3) return "no-room";
  } catch {
    return "no-room";
  }
  const tmp = `${path}.tmp`;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, "w", 0o600);
    const chunk = Buffer.alloc(Math.min(bytes, 64 * 1024));
    for (let written = 0; written < bytes; ) {
      written += writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written));
    }
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
    return "created";
  } catch {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    return "no-room";
  }
}

/** Deletes the reserve; true when there was one to give back. */
export function releaseDiskReserve(dataDir: string): boolean {
  const path = diskReservePath(dataDir);
  if (!existsSync(path)) return false;
  try {
    rmSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The reserve of one process: `release` for `Outbox`'s onDiskFull (says so
 * once, in a warn line), `keep` to call now and then (writes it anew once
 * there is room, and says so).
 */
export function diskReserve(
  dataDir: string,
  bytes: number,
  logger: {
    warn(msg: string, f?: Record<string, unknown>): void;
    info(msg: string, f?: Record<string, unknown>): void;
  },
): { release: () => boolean; keep: () => ReserveState; noteReleased: () => void } {
  let released = false;
  return {
    release: () => {
      if (!releaseDiskReserve(dataDir)) return false;
      released = true;
      logger.warn(
        "the disk is full: gave up the disk reserve so that captured turns are still kept; free some space",
        {
          dataDir,
          reserveBytes: bytes,
        },
      );
      return true;
    },
    /** Another thread gave the reserve up (and said so): `keep` says when it is back. */
    noteReleased: () => {
      released = true;
    },
    keep: () => {
      const state = ensureDiskReserve(dataDir, bytes);
      if (state === "created" && released) {
        released = false;
        logger.info("there is room again: the disk reserve is back", { reserveBytes: bytes });
      }
      return state;
    },
  };
}
