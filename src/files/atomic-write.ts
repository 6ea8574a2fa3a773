import { chmodSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";

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

/**
 * The same for a file that belongs to someone else's program (Claude Code's
 * settings): an existing file keeps its mode, and a symbolic link (a dotfiles
 * manager's) keeps pointing where it did, since the link's target is what is
 * replaced. A new file gets `newFileMode`. Returns the mode written.
 */
export function writeFileAtomicKeepingMode(
  path: string,
  data: string | Uint8Array,
  newFileMode: number,
): number {
  let target = path;
  let mode = newFileMode;
  try {
    target = realpathSync(path);
    mode = statSync(target).mode & 0o7777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  writeFileAtomic(target, data, mode);
  return mode;
}
