/**
 * Tokens are never printed: a command or log that has to point at one shows
 * a short fingerprint instead (`[token sha256:1a2b3c4d]`), enough to tell two
 * tokens apart or to match one against `sha256sum` of the token file, not
 * enough to use it.
 */
/** node:crypto, loaded on first use: a command that never hashes (`list`, `--help`) does not pay for it. */
let cryptoModule: typeof import("node:crypto") | undefined;
const nodeCrypto = () => (cryptoModule ??= process.getBuiltinModule("node:crypto"));

/** `[token sha256:xxxxxxxx]`: the first 8 hex digits of the token's SHA-256. */
export function tokenFingerprint(token: string): string {
  return `[token sha256:${nodeCrypto().createHash("sha256").update(token).digest("hex").slice(0, 8)}]`;
}

/** A `/t/<token>` path segment (the proxy's base-URL form) and URL user:password credentials. */
const TOKEN_PATH = /\/t\/([^/\s?#"'<>]+)/g;
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)([^/\s:@"'<>]*):([^/\s@"'<>]+)@/gi;
/** A `token=` query parameter (the web page's login link). */
const TOKEN_PARAM = /([?&]token=)([^&\s#"'<>]+)/g;

/**
 * `text` with every known token replaced by its fingerprint, every `/t/<token>`
 * path segment and every URL password masked. A shell reference such as
 * `${PROXY_AUTH_TOKEN}` is kept: it names the variable, not its value.
 */
export function maskTokens(text: string, known: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const token of known) {
    if (token && token.length >= 8) out = out.split(token).join(tokenFingerprint(token));
  }
  out = out.replace(TOKEN_PATH, (whole, token: string) =>
    token.startsWith("${") || token.startsWith("[token") || token === "<PROXY_AUTH_TOKEN>"
      ? whole
      : `/t/${tokenFingerprint(token)}`,
  );
  out = out.replace(TOKEN_PARAM, (whole, key: string, token: string) =>
    token.startsWith("[token") || token.startsWith("%5Btoken") ? whole : `${key}${tokenFingerprint(token)}`,
  );
  return out.replace(URL_CREDENTIALS, (whole, scheme: string, user: string, password: string) =>
    password.startsWith("${") || password.startsWith("[token")
      ? whole
      : `${scheme}${user}:${tokenFingerprint(password)}@`,
  );
}
