/**
 * `setup claude-code` on disk: reads Claude Code's files (all of them before
 * writing any, so that a malformed one stops the whole setup), writes the
 * changed ones atomically with their mode kept, keeps a backup of each file
 * as it was, and records in `<data dir>/setup/claude-code.json` what it
 * changed, so that `--undo` can put back exactly what was there.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import {
  applyWants,
  type Change,
  describeChange,
  type JsonObject,
  parseJsonObject,
  revertChanges,
  type Want,
} from "../../core/claude-setup.js";
import { MemoryError } from "../../core/errors.js";
import { writeFileAtomic, writeFileAtomicKeepingMode } from "../../files/atomic-write.js";

/** One file setup manages, and what it wants in it (computed from the file's current content). */
export interface ManagedFile {
  path: string;
  /** Mode of a file setup creates (~/.claude.json holds account state: 0600). */
  newFileMode: number;
  wants: (current: JsonObject) => Want[];
}

interface FileRecord {
  scope: string;
  /** The backup of the file as it was before setup first changed it; null: it did not exist. */
  original: string | null;
  originalMode: number | null;
  /** SHA-256 of what setup last wrote. */
  written: string;
  changes: Change[];
}

interface SetupState {
  version: 1;
  files: Record<string, FileRecord>;
}

export interface FileOutcome {
  path: string;
  status: "created" | "changed" | "unchanged" | "restored" | "reverted" | "removed";
  changes: Change[];
  backup: string | null;
  note?: string;
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

export function statePath(dataDir: string): string {
  return join(dataDir, "setup", "claude-code.json");
}

function readState(dataDir: string): SetupState {
  const path = statePath(dataDir);
  if (!existsSync(path)) return { version: 1, files: {} };
  const parsed = parseJsonObject(readFileSync(path, "utf8"), path) as unknown as SetupState;
  return { version: 1, files: parsed.files ?? {} };
}

function writeState(dataDir: string, state: SetupState): void {
  const path = statePath(dataDir);
  if (Object.keys(state.files).length === 0) {
    rmSync(path, { force: true });
    return;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}

function readIfExists(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new MemoryError(
      "INVALID_INPUT",
      `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? "error"}); it was left untouched`,
    );
  }
}

/** A folder of backups for one run: `<data dir>/setup/backups/<time>/`. */
function backupDir(dataDir: string, now: Date): string {
  return join(dataDir, "setup", "backups", now.toISOString().replace(/[:.]/g, "-"));
}

/** Keeps a copy of `data`, the content of `path` about to be changed, in this run's backup folder; returns its path. */
export function backupFile(dataDir: string, path: string, data: Buffer, now = new Date()): string {
  return backup(backupDir(dataDir, now), path, data);
}

function backup(dir: string, path: string, data: Buffer): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The name says which file it was; the hash keeps two files of one name apart.
  const file = join(dir, `${basename(path)}.${sha256(path).slice(0, 8)}`);
  writeFileAtomic(file, data);
  return file;
}

const render = (doc: JsonObject) => `${JSON.stringify(doc, null, 2)}\n`;

/** Applies setup to every file; with `dryRun`, computes and returns the same outcome and writes nothing. */
export function applySetup(
  files: readonly ManagedFile[],
  options: { dataDir: string; scope: string; dryRun: boolean; now?: Date },
): FileOutcome[] {
  const state = readState(options.dataDir);
  // Every file is read and checked before any is written.
  const plans = files.map((f) => {
    const bytes = readIfExists(f.path);
    const current = parseJsonObject(bytes?.toString("utf8") ?? "", f.path);
    return { file: f, bytes, current };
  });
  const computed = plans.map((p) => {
    const { doc, changes } = applyWantsFor(p.file, p.current);
    return { ...p, doc, changes };
  });
  const dir = backupDir(options.dataDir, options.now ?? new Date());
  const outcomes: FileOutcome[] = [];
  for (const c of computed) {
    if (c.changes.length === 0) {
      outcomes.push({ path: c.file.path, status: "unchanged", changes: [], backup: null });
      continue;
    }
    const status = c.bytes === null ? "created" : "changed";
    if (options.dryRun) {
      outcomes.push({ path: c.file.path, status, changes: c.changes, backup: null });
      continue;
    }
    const saved = c.bytes === null ? null : backup(dir, c.file.path, c.bytes);
    const mode = c.bytes === null ? null : statSync(c.file.path).mode & 0o7777;
    mkdirSync(dirname(c.file.path), { recursive: true });
    const text = render(c.doc);
    writeFileAtomicKeepingMode(c.file.path, text, c.file.newFileMode);
    const record = state.files[c.file.path];
    state.files[c.file.path] = record
      ? { ...record, written: sha256(text), changes: [...record.changes, ...c.changes] }
      : {
          scope: options.scope,
          original: saved,
          originalMode: mode,
          written: sha256(text),
          changes: c.changes,
        };
    writeState(options.dataDir, state);
    outcomes.push({ path: c.file.path, status, changes: c.changes, backup: saved });
  }
  return outcomes;
}

function applyWantsFor(file: ManagedFile, current: JsonObject): { doc: JsonObject; changes: Change[] } {
  return applyWants(current, file.wants(current), file.path);
}

/**
 * Takes back what setup did to the files of `scope` (and, for `project`, of
 * files under `underDir`): a file unchanged since setup wrote it gets its
 * original bytes and mode back (or is removed, if setup created it); a file
 * edited since keeps the edits and loses only setup's entries.
 */
export function undoSetup(options: {
  dataDir: string;
  scope: string;
  dryRun: boolean;
  select?: (path: string) => boolean;
  now?: Date;
}): FileOutcome[] {
  const state = readState(options.dataDir);
  const entries = Object.entries(state.files).filter(
    ([path, r]) => r.scope === options.scope && (options.select?.(path) ?? true),
  );
  // Check every file first: a malformed one stops the undo before anything is written.
  const plans = entries.map(([path, record]) => {
    const bytes = readIfExists(path);
    const untouched = bytes !== null && sha256(bytes) === record.written;
    const originalBytes = record.original === null ? null : readIfExists(record.original);
    if (record.original !== null && originalBytes === null) {
      throw new MemoryError(
        "NOT_FOUND",
        `the backup ${record.original} of ${path} is missing: nothing was undone (the setup record is ${statePath(options.dataDir)})`,
      );
    }
    const reverted =
      untouched || bytes === null
        ? null
        : revertChanges(
            parseJsonObject(bytes.toString("utf8"), path),
            record.changes,
            parseJsonObject(originalBytes?.toString("utf8") ?? "", record.original ?? path),
          );
    return { path, record, bytes, untouched, originalBytes, reverted };
  });
  const dir = backupDir(options.dataDir, options.now ?? new Date());
  const outcomes: FileOutcome[] = [];
  for (const p of plans) {
    const status: FileOutcome["status"] =
      p.bytes === null
        ? "unchanged"
        : p.untouched
          ? p.originalBytes === null
            ? "removed"
            : "restored"
          : "reverted";
    const note =
      p.bytes === null
        ? "no longer exists; nothing to undo"
        : status === "reverted"
          ? "edited since setup: only setup's entries were taken out, the rest kept"
          : status === "removed"
            ? "setup had created it"
            : "original bytes and mode back";
    if (options.dryRun) {
      outcomes.push({ path: p.path, status, changes: p.record.changes, backup: null, note });
      continue;
    }
    const saved = p.bytes === null ? null : backup(dir, p.path, p.bytes);
    if (status === "removed") rmSync(p.path, { force: true });
    else if (status === "restored" && p.originalBytes) {
      // Through a symbolic link to its target, with the mode the file had before setup.
      writeFileAtomic(realpathSync(p.path), p.originalBytes, p.record.originalMode ?? 0o600);
    } else if (status === "reverted" && p.reverted) {
      writeFileAtomicKeepingMode(p.path, render(p.reverted), 0o600);
    }
    delete state.files[p.path];
    writeState(options.dataDir, state);
    outcomes.push({ path: p.path, status, changes: p.record.changes, backup: saved, note });
  }
  return outcomes;
}

/** The outcome for the person: each file, what changed in it, where its backup is. */
export function renderOutcomes(outcomes: readonly FileOutcome[], dryRun: boolean): string {
  const lines: string[] = [];
  const verb = (s: FileOutcome["status"]) =>
    dryRun
      ? {
          created: "would create",
          changed: "would change",
          unchanged: "unchanged",
          restored: "would restore",
          reverted: "would take setup's entries out of",
          removed: "would remove",
        }[s]
      : s;
  for (const outcome of outcomes) {
    lines.push(`${verb(outcome.status)}: ${outcome.path}${outcome.note ? ` (${outcome.note})` : ""}`);
    if (outcome.status !== "restored" && outcome.status !== "removed" && outcome.status !== "reverted") {
      for (const c of outcome.changes) lines.push(describeChange(c));
    }
    if (outcome.backup) lines.push(`  backup: ${outcome.backup}`);
  }
  return lines.join("\n");
}
