/** Vendor tokens for the fake-secret corpus, after gitleaks' and detect-secrets' rule sets. */
import { j } from "./fake-gen.js";
import { bare, inText, type SecretKind } from "./secret-kind.js";

/** Vendor tokens: recognisable by their shape alone. */
export const VENDOR_TOKEN_KINDS: readonly SecretKind[] = [
  bare("anthropic api key", (g) => j("sk-", "ant-", "api03-", g.urlsafe(93), "AA")),
  bare("anthropic admin key", (g) => j("sk-", "ant-", "admin01-", g.urlsafe(93), "AA")),
  bare("openai project key", (g) => j("sk-", "proj-", g.urlsafe(74), "T3Blbk", "FJ", g.urlsafe(74))),
  bare("openai legacy key", (g) => j("sk-", g.mixed(20), "T3Blbk", "FJ", g.mixed(20))),
  bare("openrouter key", (g) => j("sk-", "or-v1-", g.hex(64))),
  bare("hugging face token", (g) => j("hf", "_", g.mixed(34))),
  bare("groq key", (g) => j("gs", "k_", g.mixed(52))),
  bare("xai key", (g) => j("xa", "i-", g.mixed(80))),
  bare("perplexity key", (g) => j("pp", "lx-", g.mixed(48))),
  bare("replicate token", (g) => j("r8", "_", g.mixed(37))),
  bare("langsmith key", (g) => j("lsv2", "_pt_", g.hex(32), "_", g.hex(10))),
  bare("aws access key id", (g) => j("AK", "IA", g.of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))),
  inText("aws secret key beside its id", (g) => {
    const s = g.b64(40);
    return [`${j("AK", "IA", g.of("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))} ${s}`, s];
  }),
  inText("aws secret key assignment", (g) => {
    const s = g.b64(40);
    return [`aws_secret_access_key = ${s}`, s];
  }),
  bare("aws bedrock key", (g) => j("AB", "SK", g.b64(132))),
  bare("google api key", (g) => j("AI", "za", g.urlsafe(35))),
  bare("google oauth access token", (g) => j("ya", "29.", g.urlsafe(120))),
  bare("google oauth refresh token", (g) => j("1//", "0", g.urlsafe(60))),
  bare("google oauth client secret", (g) => j("GOC", "SPX-", g.urlsafe(28))),
  inText("gcp service account private key", (g) => {
    const pem = g.pem("");
    const json = JSON.stringify({
      type: "service_account",
      project_id: "demo",
      private_key: `${pem.text}\n`,
    });
    return [json, pem.body];
  }),
  inText("azure storage connection string", (g) => {
    const key = `${g.b64(86)}==`;
    return [
      `DefaultEndpointsProtocol=https;AccountName=demoacct;AccountKey=${key};EndpointSuffix=core.windows.net`,
      key,
    ];
  }),
  inText("azure sas signature", (g) => {
    const sig = `${g.mixed(40)}%2B${g.mixed(3)}%3D`;
    return [`https://demo.blob.core.windows.net/c/f.txt?sv=2022-11-02&sp=r&se=2030-01-01&sig=${sig}`, sig];
  }),
  bare("azure ad client secret", (g) => j(g.mixed(3), "8Q", "~", g.urlsafe(34))),
  bare("alibaba access key id", (g) => j("LT", "AI", g.mixed(20))),
  bare("digitalocean pat", (g) => j("dop", "_v1_", g.hex(64))),
  bare("digitalocean oauth token", (g) => j("doo", "_v1_", g.hex(64))),
  bare("heroku api key v2", (g) => j("HRKU", "-AA", g.urlsafe(58))),
  inText("heroku api key (uuid)", (g) => {
    const u = g.uuid();
    return [`HEROKU_API_KEY=${u}`, u];
  }),
  bare("fly.io token", (g) => j("fo", "1_", g.urlsafe(43))),
  bare("terraform cloud token", (g) => j(g.mixed(14), ".atlas", "v1.", g.urlsafe(67))),
  bare("vault service token", (g) => j("hv", "s.", g.urlsafe(95))),
  bare("vault batch token", (g) => j("hv", "b.", g.urlsafe(140))),
  bare("vault legacy token", (g) => j("s", ".", g.mixed(24))),
  bare("databricks token", (g) => j("da", "pi", g.hex(32))),
  bare("supabase token", (g) => j("sb", "p_", g.hex(40))),
  bare("planetscale token", (g) => j("pscale", "_tkn_", g.urlsafe(43))),
  bare("openshift token", (g) => j("sha256", "~", g.urlsafe(43))),
  bare("dynatrace token", (g) => j("dt0c01", ".", g.mixed(24), ".", g.mixed(64))),
  bare("doppler token", (g) => j("dp", ".pt.", g.mixed(43))),
  bare("pulumi token", (g) => j("pu", "l-", g.hex(40))),
  bare("github classic pat", (g) => j("gh", "p_", g.mixed(36))),
  bare("github oauth token", (g) => j("gh", "o_", g.mixed(36))),
  bare("github app token", (g) => j("gh", "s_", g.mixed(36))),
  bare("github fine-grained pat", (g) => j("github", "_pat_", g.mixed(22), "_", g.mixed(59))),
  inText("github token in a clone url", (g) => {
    const t = j("gh", "s_", g.mixed(36));
    return [`git clone https://x-access-token:${t}@github.com/acme/app.git`, t];
  }),
  bare("gitlab pat", (g) => j("gl", "pat-", g.urlsafe(20))),
  bare("gitlab runner token", (g) => j("gl", "rt-", g.urlsafe(20))),
  bare("gitlab deploy token", (g) => j("gl", "dt-", g.urlsafe(20))),
  bare("bitbucket token", (g) => j("AT", "BB", g.mixed(32))),
  bare("atlassian token", (g) => j("ATA", "TT3", g.urlsafe(186))),
  bare("npm token", (g) => j("np", "m_", g.mixed(36))),
  inText("npmrc auth token", (g) => {
    const t = g.uuid();
    return [`//registry.npmjs.org/:_authToken=${t}`, t];
  }),
  bare("pypi token", (g) => j("pypi-", "AgEIcHlwaS5vcmc", g.urlsafe(70))),
  bare("rubygems token", (g) => j("rubygems", "_", g.hex(48))),
  bare("docker hub pat", (g) => j("dckr", "_pat_", g.urlsafe(27))),
  bare("artifactory key", (g) => j("AK", "Cp", g.mixed(69))),
  bare("postman key", (g) => j("PM", "AK-", g.hex(24), "-", g.hex(34))),
  bare("slack bot token", (g) => j("xo", "xb-", g.digits(12), "-", g.digits(13), "-", g.mixed(24))),
  bare("slack user token", (g) =>
    j("xo", "xp-", g.digits(12), "-", g.digits(12), "-", g.digits(13), "-", g.hex(32)),
  ),
  bare("slack app token", (g) => j("xa", "pp-1-", "A", g.upper(10), "-", g.digits(13), "-", g.hex(64))),
  inText("slack webhook url", (g) => {
    const path = j("T", g.upper(8), "/B", g.upper(10), "/", g.mixed(24));
    return [j("https://", "hooks.slack", ".com/services/", path), path];
  }),
  bare("discord bot token", (g) => j("M", g.urlsafe(23), ".", g.urlsafe(6), ".", g.urlsafe(27))),
  inText("discord webhook url", (g) => {
    const t = g.urlsafe(68);
    return [j("https://", "discord", ".com/api/webhooks/", g.digits(18), "/", t), t];
  }),
  inText("teams webhook url", (g) => {
    const t = `${g.uuid()}@${g.uuid()}/IncomingWebhook/${g.hex(32)}/${g.uuid()}`;
    return [j("https://acme.", "webhook.office", ".com/webhookb2/", t), t];
  }),
  bare("telegram bot token", (g) => j(g.digits(10), ":AA", g.urlsafe(33))),
  inText("telegram bot url", (g) => {
    const t = j(g.digits(10), ":AA", g.urlsafe(33));
    return [`curl https://api.telegram.org/bot${t}/sendMessage`, t];
  }),
  bare("twilio api key", (g) => j("S", "K", g.hex(32))),
  inText("twilio auth token", (g) => {
    const t = g.hex(32);
    return [`TWILIO_AUTH_TOKEN=${t}`, t];
  }),
  bare("sendgrid key", (g) => j("S", "G.", g.urlsafe(22), ".", g.urlsafe(43))),
  bare("sendinblue key", (g) => j("xkey", "sib-", g.hex(64), "-", g.mixed(16))),
  bare("mailgun key", (g) => j("ke", "y-", g.hex(32))),
  bare("mailchimp key", (g) => j(g.hex(32), "-us", "6")),
  bare("linear key", (g) => j("lin", "_api_", g.mixed(40))),
  bare("notion token", (g) => j("nt", "n_", g.digits(11), g.mixed(35))),
  bare("figma token", (g) => j("fi", "gd_", g.urlsafe(40))),
  bare("sentry user token", (g) => j("sntr", "yu_", g.hex(64))),
  inText("sentry dsn", (g) => {
    const k = g.hex(32);
    return [j("https://", k, "@o", g.digits(6), ".ingest.sentry.io/", g.digits(7)), k];
  }),
  bare("grafana service account token", (g) => j("gl", "sa_", g.mixed(32), "_", g.hex(8))),
  bare("new relic key", (g) => j("NR", "AK-", g.upper(27))),
  bare("dropbox token", (g) => j("s", "l.", g.urlsafe(140))),
  bare("facebook token", (g) => j("EA", "AM", g.mixed(120))),
  bare("mapbox secret token", (g) => j("s", "k.eyJ", g.mixed(60), ".", g.mixed(22))),
  bare("stripe secret key", (g) => j("s", "k_", "live_", g.mixed(24))),
  bare("stripe restricted key", (g) => j("r", "k_", "live_", g.mixed(24))),
  bare("stripe webhook secret", (g) => j("wh", "sec_", g.mixed(32))),
  bare("square secret", (g) => j("sq0", "csp-", g.urlsafe(43))),
  bare("shopify token", (g) => j("shp", "at_", g.hex(32))),
  bare("razorpay key", (g) => j("rz", "p_live_", g.mixed(14))),
  bare("braintree token", (g) =>
    j("access_token", "$production$", g.of("abcdefghijklmnopqrstuvwxyz0123456789", 16), "$", g.hex(32)),
  ),
  bare("age secret key", (g) => j("AGE-SECRET", "-KEY-1", g.of("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58))),
  bare("1password service token", (g) => j("ops", "_eyJ", g.b64(250))),
  bare("jwt", (g) => j("ey", "J", g.urlsafe(30), ".", "ey", "J", g.urlsafe(60), ".", g.urlsafe(43))),
];
