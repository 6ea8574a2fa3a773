import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { STYLESHEET } from "./styles.js";

/**
 * The page's static files, served from the package (never from a CDN): the
 * stylesheet and the compiled client scripts (`dist/web/client/*.js`, built
 * by `npm run build`). Read once, gzipped once, served with a content hash in
 * the URL so they can be cached for good.
 */

export interface Asset {
  body: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
}

export interface AssetUrls {
  css: string;
  js: string;
}

export interface AssetSet {
  /** Path (under /assets/) → file. */
  files: Map<string, Asset>;
  urls: AssetUrls;
  /** Sum of the gzipped sizes of every file a page loads. */
  pageBytesGzip: number;
}

/**
 * Where the client scripts are compiled to: `dist/web/client/` of the package this file belongs to
 * (the first folder up with a package.json and a dist/: the bundle's dist/cli/ has a package.json
 * of its own, for its CommonJS scope).
 */
function clientDir(): URL {
  let dir = new URL(".", import.meta.url);
  for (let i = 0; i < 6; i++) {
    if (existsSync(new URL("package.json", dir)) && existsSync(new URL("dist/", dir))) {
      return new URL("dist/web/client/", dir);
    }
    dir = new URL("..", dir);
  }
  return new URL("../../dist/web/client/", import.meta.url);
}

export const CLIENT_DIR = clientDir();

function asset(body: Buffer, type: string): Asset {
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"`;
  return { body, gzip: gzipSync(body, { level: 9 }), type, etag };
}

export class MissingClientError extends Error {
  readonly code = "UNAVAILABLE";
  constructor(dir: string) {
    super(`the web page's scripts are not built (${dir} is missing): run npm run build`);
  }
}

export function loadAssets(clientDir: URL = CLIENT_DIR): AssetSet {
  const files = new Map<string, Asset>();
  const css = asset(Buffer.from(STYLESHEET, "utf8"), "text/css; charset=utf-8");
  const cssName = `style.${css.etag.slice(1, 9)}.css`;
  files.set(cssName, css);
  // The refusal pages link the unhashed name.
  files.set("style.css", css);
  let names: string[];
  try {
    names = readdirSync(clientDir).filter((n) => n.endsWith(".js"));
  } catch {
    throw new MissingClientError(clientDir.pathname);
  }
  if (!names.includes("app.js")) throw new MissingClientError(clientDir.pathname);
  for (const name of names) {
    files.set(name, asset(readFileSync(new URL(name, clientDir)), "text/javascript; charset=utf-8"));
  }
  let pageBytesGzip = css.gzip.length;
  for (const name of names) pageBytesGzip += files.get(name)!.gzip.length;
  // Modules import each other by plain name; the entry point carries a version query instead.
  const version = createHash("sha256")
    .update(names.map((n) => files.get(n)!.etag).join())
    .digest("base64url")
    .slice(0, 8);
  return { files, urls: { css: `/assets/${cssName}`, js: `/assets/app.js?v=${version}` }, pageBytesGzip };
}
