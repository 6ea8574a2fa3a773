/** Secrets known by their context: keys, headers, URLs, prose, flags, cards, key files. */
import { j } from "./fake-gen.js";
import { bare, inText, type SecretKind } from "./secret-kind.js";

export const CONTEXT_KINDS: readonly SecretKind[] = [
  inText("rsa private key", (g) => {
    const p = g.pem("RSA");
    return [p.text, p.body];
  }),
  inText("openssh private key", (g) => {
    const p = g.pem("OPENSSH");
    return [p.text, p.body];
  }),
  inText("encrypted private key", (g) => {
    const p = g.pem("ENCRYPTED");
    return [p.text, p.body];
  }),
  inText("pgp private key block", (g) => {
    const body = g.b64(64);
    const text = [
      j("-----BEGIN PGP ", "PRIVATE KEY BLOCK-----"),
      "",
      body,
      j("-----END PGP ", "PRIVATE KEY BLOCK-----"),
    ];
    return [text.join("\n"), body];
  }),
  inText("putty private key", (g) => {
    const body = g.b64(64);
    const text = [
      "PuTTY-User-Key-File-3: ssh-ed25519",
      "Encryption: none",
      `Public-Lines: 2\n${g.b64(64)}`,
      `Private-Lines: 1\n${body}`,
      `Private-MAC: ${g.hex(64)}`,
    ];
    return [text.join("\n"), body];
  }),
  inText("<private> block", (g) => {
    const s = `${g.mixed(8)} lives at ${g.digits(3)} Elm Street`;
    return [`<private>${s}</private>`, s];
  }),
  inText("password env assignment", (g) => {
    const p = g.password();
    return [`DB_PASSWORD=${p}`, p];
  }),
  inText("password in a command (json string)", (g) => {
    const p = g.password();
    return [`login with password=${p}`, p];
  }),
  inText("password yaml", (g) => {
    const p = g.password();
    return [`database:\n  user: app\n  password: ${p}\n`, p];
  }),
  inText("password json", (g) => {
    const p = g.password();
    return [JSON.stringify({ user: "app", password: p }), p];
  }),
  inText("password prose", (g) => {
    const p = g.password();
    return [`my password is ${p} but don't tell anyone`, p];
  }),
  inText("password prose with a subject", (g) => {
    const p = g.password();
    return [`The password for the staging db is ${p}.`, p];
  }),
  inText("api key prose", (g) => {
    const k = g.mixed(32);
    return [`my API key is ${k}`, k];
  }),
  inText("cookie header", (g) => {
    const s = g.mixed(32);
    return [`Cookie: sessionid=${s}; csrftoken=${g.mixed(32)}`, s];
  }),
  inText("set-cookie header", (g) => {
    const s = g.mixed(40);
    return [`Set-Cookie: __Host-session=${s}; Path=/; Secure; HttpOnly`, s];
  }),
  inText("bearer header", (g) => {
    const t = g.urlsafe(40);
    return [`Authorization: Bearer ${t}`, t];
  }),
  inText("basic auth header", (g) => {
    const t = Buffer.from(`admin:${g.password()}`).toString("base64");
    return [`Authorization: Basic ${t}`, t];
  }),
  inText("token auth header", (g) => {
    const t = g.hex(40);
    return [`Authorization: Token ${t}`, t];
  }),
  inText("x-api-key header", (g) => {
    const t = g.mixed(32);
    return [`curl -H "x-api-key: ${t}" https://api.example.test/v1`, t];
  }),
  inText("url credentials", (g) => {
    const p = g.password();
    return [`https://deploy:${p}@git.example.test/repo.git`, p];
  }),
  inText("redis url with password only", (g) => {
    const p = g.mixed(20);
    return [`REDIS_URL=redis://:${p}@cache.internal:6379/0`, p];
  }),
  inText("postgres url", (g) => {
    const p = g.password();
    return [`postgres://app:${p}@db.internal:5432/app`, p];
  }),
  inText("mongodb srv url", (g) => {
    const p = g.mixed(16);
    return [`mongodb+srv://admin:${p}@cluster0.abcde.mongodb.net/test`, p];
  }),
  inText("jdbc url password", (g) => {
    const p = g.mixed(14);
    return [`jdbc:mysql://db:3306/app?user=app&password=${p}&useSSL=true`, p];
  }),
  inText("ado.net connection string", (g) => {
    const p = g.password();
    return [`Server=tcp:db.example.test,1433;Database=app;User Id=sa;Password=${p};Encrypt=true`, p];
  }),
  inText("visa card", (g) => {
    const c = g.card("4", 16);
    return [`card ${c} exp 12/29`, c];
  }),
  inText("visa card spaced", (g) => {
    const c = g.card("4", 16);
    const spaced = c.replace(/(\d{4})(?=\d)/g, "$1 ");
    return [`pay with ${spaced} please`, spaced];
  }),
  inText("mastercard", (g) => {
    const c = g.card("53", 16);
    return [`mc: ${c}`, c];
  }),
  inText("amex card", (g) => {
    const c = g.card("37", 15);
    const spaced = `${c.slice(0, 4)} ${c.slice(4, 10)} ${c.slice(10)}`;
    return [`amex ${spaced}`, spaced];
  }),
  inText("discover card dashed", (g) => {
    const c = g.card("6011", 16);
    const dashed = c.replace(/(\d{4})(?=\d)/g, "$1-");
    return [`discover ${dashed}`, dashed];
  }),
  inText("netrc", (g) => {
    const p = g.password();
    return [`machine api.example.test login deploy password ${p}`, p];
  }),
  inText("curl -u", (g) => {
    const p = g.password();
    return [`curl -u admin:${p} https://ci.example.test/api`, p];
  }),
  inText("sql identified by", (g) => {
    const p = g.password();
    return [`CREATE USER 'app'@'%' IDENTIFIED BY '${p}';`, p];
  }),
  inText("docker login -p", (g) => {
    const p = g.mixed(24);
    return [`docker login -u ci -p ${p} registry.example.test`, p];
  }),
  inText("--password flag", (g) => {
    const p = g.password();
    return [`mysql --host db --password ${p} app`, p];
  }),
  inText("datadog app key (weak key name, entropy)", (g) => {
    const k = g.hex(40);
    return [`DD_APP_KEY=${k}`, k];
  }),
  inText("account key in code", (g) => {
    const k = g.mixed(32);
    return [`const client = new Client({ accountKey: "${k}" });`, k];
  }),
  inText("kubernetes secret data", (g) => {
    const v = Buffer.from(g.password()).toString("base64");
    return [`kind: Secret\ndata:\n  password: ${v}\n`, v];
  }),
  bare("unknown vendor prefixed token", (g) => j("acme", "_live_", g.mixed(40))),
  inText("okta token", (g) => {
    const t = `00${g.urlsafe(40)}`;
    return [`OKTA_API_TOKEN=${t}`, t];
  }),
  inText("cloudinary url", (g) => {
    const s = g.urlsafe(27);
    return [`CLOUDINARY_URL=cloudinary://${g.digits(15)}:${s}@demo`, s];
  }),
];
