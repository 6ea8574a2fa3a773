/**
 * Real-looking coding conversation with no secret in it, for measuring
 * redaction's false positives: code that names passwords and tokens without
 * holding any, git and npm output, hashes, UUIDs, ids, timestamps, lockfile
 * integrity strings, source maps and base64 image data.
 */
import { FakeGen } from "./fake-gen.js";
import { SeededRng } from "./seeded-rng.js";

type Piece = (g: FakeGen) => string;

const PIECES: readonly Piece[] = [
  () => `export async function login(user: string, password: string): Promise<Session> {
  const hash = await bcrypt.hash(password, 12);
  const token = await issueToken({ sub: user.id, scope: ["read"] });
  return { token, expiresIn: 3600 };
}`,
  () => `interface Config {
  apiKey?: string;
  secret: string | undefined;
  password: string;
  token: string | null;
  maxTokens: number;
}
const config: Config = { apiKey: process.env.API_KEY, secret: process.env.APP_SECRET, password: "", token: null, maxTokens: 1024 };`,
  () => `headers: {
  Authorization: \`Bearer \${token}\`,
  "Content-Type": "application/json",
  "x-api-key": apiKey,
},`,
  () => `def connect(password=None, token=None):
    password = password or os.environ["DB_PASSWORD"]
    client = Client(api_key=settings.API_KEY, secret=get_secret("db"))
    return client`,
  (g) => `commit ${g.hex(40)}
Author: Ann Example <ann@example.test>
Date:   Tue Mar 4 10:12:45 2025 +0100

    fix: retry on ECONNRESET when the token refresh races

diff --git a/src/auth.ts b/src/auth.ts
index ${g.hex(7)}..${g.hex(7)} 100644`,
  (g) => `    "node_modules/${g.of("abcdefghijklmnopqrstuvwxyz", 8)}": {
      "version": "4.${g.digits(1)}.${g.digits(1)}",
      "resolved": "https://registry.npmjs.org/pkg/-/pkg-4.1.2.tgz",
      "integrity": "sha512-${g.b64(86)}==",
      "license": "MIT"
    },`,
  (g) => `sha256sum dist/app.tar.gz
${g.hex(64)}  dist/app.tar.gz
md5: ${g.hex(32)}  sha1: ${g.hex(40)}`,
  (g) =>
    `{"id":"${g.uuid()}","request_id":"${g.uuid()}","session_id":"${g.uuid()}","user_id":"${g.uuid()}","created_at":"2025-01-15T10:${g.digits(2).slice(0, 1)}0:00Z"}`,
  (g) =>
    `2025-01-15T10:22:13.${g.digits(3)}Z INFO request ${g.uuid()} GET /api/v1/items?page=2 200 ${g.digits(2)}ms ts=${g.digits(13)}`,
  (g) => `docker pull node@sha256:${g.hex(64)}
Digest: sha256:${g.hex(64)}
Status: Downloaded newer image for node:20-alpine`,
  (g) =>
    `{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgoAAAANSUhEUgAA${g.b64(6000)}"}}`,
  (g) => `<img src="data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ${g.b64(4000)}=" alt="screenshot">`,
  (g) =>
    `{"version":3,"sources":["../src/index.ts"],"mappings":"${Array.from({ length: 80 }, () => g.of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 4 + g.rng.int(0, 4))).join(",")};AAAA,SAAS"}`,
  () =>
    "The password reset flow sends a one-time link; the token in it is valid for 15 minutes. " +
    "Bearer authentication is described in RFC 6750. Basic knowledge of OAuth helps. " +
    "If the password is wrong three times, the account is locked. My password is not working since the reset.",
  () =>
    "Set the API key in your environment, not in the code: export ANTHROPIC_API_KEY=... and restart the shell. " +
    "The secret is stored in Vault under kv/app; rotate the token every 90 days.",
  (g) => `$ npm test
> app@1.0.0 test
> vitest run

 ✓ test/auth.test.ts (12 tests) ${g.digits(3)}ms
 ✓ test/token-refresh.test.ts (4 tests) ${g.digits(2)}ms
 Test Files  2 passed (2)
      Tests  16 passed (16)`,
  (g) => `ls -la
drwxr-xr-x  12 ann  staff   384 Jan 15 10:11 .
-rw-r--r--   1 ann  staff  ${g.digits(4)} Jan 15 10:11 package.json
-rw-r--r--   1 ann  staff  ${g.digits(6)} Jan 15 10:11 package-lock.json`,
  (g) =>
    `const ids = ["${g.urlsafe(21)}", "${g.urlsafe(21)}"]; // nanoid\nconst ulid = "01${g.of("0123456789ABCDEFGHJKMNPQRSTVWXYZ", 24)}";`,
  (g) =>
    `Stripe objects: cus_${g.mixed(14)} pi_${g.mixed(24)} ch_${g.mixed(24)}; pod api-7d9f8b6c5-${g.of("abcdefghijklmnopqrstuvwxyz0123456789", 5)} restarted`,
  (g) => `color: #${g.hex(6)}; --shadow: 0 0 0 1px #${g.hex(8)}; const MASK = 0x${g.hex(8)};`,
  (g) =>
    `order ${g.digits(10)} shipped; tracking 1Z${g.upper(16)}; phone +1 555 ${g.digits(3)} ${g.digits(4)}; snowflake 1${g.digits(18)}`,
  () =>
    `password_hint: "first pet", password_min_length: 12, max_tokens=1024, output_tokens: 42, secretary=Ann, tokenizer: "cl100k"`,
  () => `if (!token) throw new AuthError("missing token");
const secret = await vault.read(path);
const password = form.get("password");
user.passwordHash = await argon2.hash(password);`,
  (g) => `git log --oneline
${g.hex(7)} fix flaky auth test
${g.hex(7)} bump deps
${g.hex(7)} add token refresh`,
  (g) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${g.b64(43)} ann@laptop
SHA256:${g.b64(43)}`,
  (g) => `aws s3 cp ./build s3://my-bucket/releases/ --recursive
upload: build/app.js to s3://my-bucket/releases/app.js
ETag: "${g.hex(32)}" VersionId: ${g.urlsafe(32)}`,
  (g) => `kubectl get pods -n prod
NAME                        READY   STATUS    RESTARTS   AGE
web-${g.hex(10)}-${g.of("abcdefghijklmnopqrstuvwxyz0123456789", 5)}   1/1     Running   0          3d`,
  () => `Assistant: I read src/auth/session.ts and the token comes from getToken(); the password field is only ever hashed.
[tool_use Read {"file_path":"/home/ann/app/src/auth/session.ts"}]
[tool_use Bash {"command":"grep -rn \\"password\\" src | head","description":"Find password handling"}]`,
];

/** About `bytes` characters of secret-free conversation, deterministic for a seed. */
export function conversationCorpus(bytes: number, seed = 7): string {
  const g = new FakeGen(new SeededRng(seed));
  const parts: string[] = [];
  let size = 0;
  let i = 0;
  while (size < bytes) {
    const piece = PIECES[i % PIECES.length]!(g);
    parts.push(piece);
    size += piece.length + 2;
    i++;
  }
  return parts.join("\n\n");
}
