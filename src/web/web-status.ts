import { existsSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../files/atomic-write.js";

/**
 * `<dataDir>/web-status.json`: where the web page is served, so that `status`
 * in another shell can print its address. The address only, never the token.
 */
export interface WebStatusFile {
  pid: number;
  url: string;
  startedAt: string;
}

export function webStatusPath(dataDir: string): string {
  return join(dataDir, "web-status.json");
}

export function writeWebStatus(dataDir: string, status: WebStatusFile): void {
  const path = webStatusPath(dataDir);
  writeFileAtomic(path, `${JSON.stringify(status)}\n`);
}

export function readWebStatus(dataDir: string): WebStatusFile | null {
  const path = webStatusPath(dataDir);
  if (!existsSync(path)) return null;
  try {
    const v = JSON.parse(readFileSync(path, "utf8")) as WebStatusFile;
    return typeof v.pid === "number" && typeof v.url === "string" ? v : null;
  } catch {
    return null;
  }
}

/** Removes the file if this process wrote it. */
export function clearWebStatus(dataDir: string): void {
  const current = readWebStatus(dataDir);
  if (current?.pid !== process.pid) return;
  try {
    unlinkSync(webStatusPath(dataDir));
  } catch {
    // already gone
  }
}
