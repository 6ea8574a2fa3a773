import { chmodSync, renameSync, rmSync, writeFileSync } from "node:fs";

/**
 * Writes a file so that a reader sees the old content or the new, never a
 * part: the data goes to a temporary file beside it (same directory, so the
 * rename cannot cross filesystems), which then replaces the target. The mode
 * is set explicitly (a umask cannot loosen it; default 0600, since these
 * files hold keys, tokens or state of one person). A failed write leaves the
 * target as it was and no temporary file behind.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
