/**
 * Secrets recognisable by their own shape: a vendor prefix and a body of a
 * known alphabet and length. The patterns follow the published rule sets of
 * gitleaks (config/gitleaks.toml) and detect-secrets (its plugins), reduced
 * to "literal prefix + bounded character classes" so that each runs in
 * linear time. Keyword-gated rules of those sets ("a 32-character value next
 * to the word `algolia`") are covered by the assignment rules instead.
 *
 * Most patterns start with a literal, which V8 finds with a fast skip
 * search; a look-behind (cheap when negative) keeps a match from starting
 * inside a longer token.
 */
import { entropyAtLeast, hasDigit, lettersAndDigits, mixedCase } from "./secret-checks.js";

export interface TokenRule {
  /** Placeholder type: `[REDACTED:<type>]`. */
  readonly type: string;
  /** Global, without capture groups; the whole match is the secret. */
  readonly pattern: RegExp;
  /** Extra test on a match; false keeps the text. */
  readonly check: ((match: string) => boolean) | undefined;
  /**
   * For shapes whose literal is not at the start (`<14 chars>.atlasv1.`): the
   * match begins at the literal, and exactly this many characters of this
   * class before it, with a token boundary before them, belong to the secret.
   */
  readonly lead: readonly [chars: RegExp, length: number] | undefined;
}

/**
 * What may precede a match, as a look-behind: it also keeps the regex from
 * trying every position inside a long token (which would be quadratic).
 * `\n`, `\t`, `\r` escapes of a JSON string count as a boundary.
 */
const LOOK_BEHIND = {
  token: String.raw`(?<![A-Za-z0-9_-](?<!\\[nrt]))`,
  digit: String.raw`(?<!\d)`,
  any: "",
} as const;

function rule(
  type: string,
  source: string,
  opts: {
    check?: (match: string) => boolean;
    boundary?: keyof typeof LOOK_BEHIND;
    lead?: readonly [RegExp, number];
  } = {},
): TokenRule {
  const boundary = opts.lead ? "any" : (opts.boundary ?? "token");
  const pattern = new RegExp(LOOK_BEHIND[boundary] + source, "g");
  return { type, pattern, check: opts.check, lead: opts.lead };
}

const NOT_ALNUM = "(?![A-Za-z0-9])";
const NOT_TOKEN = "(?![A-Za-z0-9_-])";

export const TOKEN_RULES: readonly TokenRule[] = [
  // AI providers
  rule("anthropic_key", String.raw`sk-ant-[\w-]{20,}`),
  rule("openai_key", String.raw`sk-(?:proj-|svcacct-|admin-|or-v1-|None-)?[\w-]{20,}`, {
    check: hasDigit, // a slug such as "sk-some-long-words-here" is not a key
  }),
  rule("huggingface_token", "(?:hf_|api_org_)[A-Za-z0-9]{30,}"),
  rule("groq_key", "gsk_[A-Za-z0-9]{40,}"),
  rule("xai_key", "xai-[A-Za-z0-9]{60,}"),
  rule("perplexity_key", "pplx-[A-Za-z0-9]{40,}"),
  rule("replicate_token", "r8_[A-Za-z0-9]{30,}"),
  rule("langsmith_key", "lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{8,}"),
  rule("pinecone_key", String.raw`pcsk_[\w-]{40,}`),
  rule("tavily_key", String.raw`tvly-[\w-]{30,}`),
  rule("cohere_key", `co-[A-Za-z0-9]{40}${NOT_ALNUM}`, { check: mixedCase }),
  // Cloud
  rule("aws_access_key_id", `(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}${NOT_ALNUM}`),
  rule("aws_bedrock_key", "ABSK[A-Za-z0-9+/]{100,}={0,2}"),
  rule("aws_bedrock_key", String.raw`bedrock-api-key-[\w+/=%-]{20,}`),
  rule("google_api_key", String.raw`AIza[\w-]{35}`),
  rule("google_oauth_token", String.raw`ya29\.[\w-]{20,}`),
  rule("google_oauth_token", String.raw`1//0[\w-]{30,}`),
  rule("google_oauth_secret", String.raw`GOCSPX-[\w-]{20,}`),
  rule("firebase_key", String.raw`:APA91b[\w-]{100,}`, { lead: [/[\w-]/, 11] }),
  rule("azure_client_secret", String.raw`Q~[\w~.-]{31,34}`, {
    lead: [/[\w~.]/, 4],
    check: (m) => /^[\w~.]{3}\dQ~/.test(m),
  }),
  rule("alibaba_key_id", `LTAI[A-Za-z0-9]{20}${NOT_ALNUM}`, { check: hasDigit }),
  rule("digitalocean_token", "do[opr]_v1_[a-f0-9]{64}"),
  rule("cloudflare_origin_key", String.raw`v1\.0-[a-f0-9]{24}-[a-f0-9]{146}`),
  rule("heroku_key", String.raw`HRKU-[\w-]{50,}`),
  rule("flyio_token", String.raw`(?:fo1_[\w-]{40,}|fm[12][ar]?_[A-Za-z0-9+/]{80,}={0,3})`),
  rule("terraform_token", String.raw`\.atlasv1\.[\w=-]{60,}`, { lead: [/[A-Za-z0-9]/, 14] }),
  rule("vault_token", String.raw`hv[sbr]\.[\w-]{20,}`),
  rule("vault_token", String.raw`s\.[A-Za-z0-9]{24}(?![\w.-])`, { check: mixedCase }),
  rule("databricks_token", String.raw`dapi[a-f0-9]{32}(?:-\d)?${NOT_ALNUM}`, { check: hasDigit }),
  rule("supabase_token", String.raw`(?:sbp_[a-f0-9]{40}|sb_secret_[\w-]{20,})`),
  rule("planetscale_token", String.raw`pscale_(?:tkn|oauth|pw)_[\w=.-]{32,}`),
  rule("openshift_token", String.raw`sha256~[\w-]{43}`),
  rule("dynatrace_token", String.raw`dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}`),
  rule("doppler_token", String.raw`dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}`),
  rule("pulumi_token", "pul-[a-f0-9]{40}"),
  rule("clickhouse_key", `4b1d[A-Za-z0-9]{38}${NOT_ALNUM}`, { check: mixedCase }),
  rule("scalingo_token", String.raw`tk-us-[\w-]{48}`),
  rule("render_key", "rnd_[A-Za-z0-9]{24,}"),
  // Source hosting, CI, registries
  rule("github_token", "gh[pousr]_[A-Za-z0-9]{30,}"),
  rule("github_token", String.raw`github_pat_\w{40,}`),
  rule("gitlab_token", String.raw`gl(?:pat|dt|ft|soat|rt|imt|ptt|agent|oas|ffct|cbt)-[\w.-]{20,}`),
  rule("gitlab_token", String.raw`GR1348941[\w-]{20,}`),
  rule("gitlab_token", "_gitlab_session=[0-9a-z]{32}", { boundary: "any" }),
  rule("bitbucket_token", String.raw`ATBB[\w=.-]{32,}`),
  rule("atlassian_token", String.raw`ATATT3[\w=-]{100,}`),
  rule("npm_token", "npm_[A-Za-z0-9]{36,}"),
  rule("pypi_token", String.raw`pypi-AgE[\w-]{50,}`),
  rule("rubygems_token", "rubygems_[a-f0-9]{48}"),
  rule("clojars_token", "CLOJARS_[a-z0-9]{60}"),
  rule("dockerhub_token", String.raw`dckr_(?:pat|oat)_[\w-]{20,}`),
  rule("artifactory_token", "(?:AKCp[A-Za-z0-9]{69}|cmVmd[A-Za-z0-9]{59})"),
  rule("buildkite_token", "bkua_[a-f0-9]{40}"),
  rule("circleci_token", String.raw`CCIPAT_[\w]{30,}`),
  rule("readme_token", "rdme_[a-z0-9]{70}"),
  rule("postman_token", "PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}"),
  rule("prefect_token", "pnu_[A-Za-z0-9]{36}"),
  rule("sourcegraph_token", "sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}"),
  rule("infracost_token", "ico-[A-Za-z0-9]{32}"),
  rule("harness_token", String.raw`(?:pat|sat)\.[\w-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}`),
  rule("octopus_key", `API-[A-Z0-9]{26}${NOT_ALNUM}`, { check: hasDigit }),
  // Messaging and collaboration
  rule("slack_token", "xox[abeoprs]-[A-Za-z0-9-]{10,}"),
  rule("slack_token", String.raw`xoxe\.xox[bp]-\d-[A-Za-z0-9]{100,}`),
  rule("slack_token", String.raw`xapp-\d-[A-Za-z0-9-]{10,}`),
  rule("slack_webhook", String.raw`hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}`, {
    boundary: "any",
  }),
  rule("discord_webhook", String.raw`discord(?:app)?\.com/api/webhooks/\d+/[\w-]{20,}`, { boundary: "any" }),
  rule("teams_webhook", String.raw`\.office\.com/webhook(?:b2)?/[\w@/-]{20,}`, {
    boundary: "any",
  }),
  rule("discord_token", String.raw`[MNO][\w-]{23,27}\.[\w-]{6}\.[\w-]{27,40}${NOT_TOKEN}`, {
    check: (m) => hasDigit(m) && mixedCase(m.slice(m.lastIndexOf(".") + 1)),
  }),
  rule("telegram_bot_token", String.raw`\d{8,10}:[\w-]{35}${NOT_TOKEN}`, {
    boundary: "digit",
    check: (m) => lettersAndDigits(m.slice(m.indexOf(":") + 1)),
  }),
  rule("twilio_key", `(?:SK|AC)[0-9a-fA-F]{32}${NOT_ALNUM}`, { check: lettersAndDigits }),
  rule("sendgrid_key", String.raw`SG\.[\w-]{16,32}\.[\w-]{16,64}`),
  rule("sendinblue_key", "xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}"),
  rule("mailgun_key", `key-[a-f0-9]{32}${NOT_ALNUM}`, { check: hasDigit }),
  rule("mailchimp_key", String.raw`-us\d{1,2}${NOT_ALNUM}`, { lead: [/[0-9a-f]/, 32] }),
  rule("linear_key", "lin_api_[A-Za-z0-9]{40}"),
  rule("notion_token", "ntn_[0-9]{11}[A-Za-z0-9]{35}"),
  rule("notion_token", `secret_[A-Za-z0-9]{43}${NOT_ALNUM}`, { check: mixedCase }),
  rule("figma_token", String.raw`figd_[\w-]{40,}`),
  rule("typeform_token", String.raw`tfp_[\w.=-]{59}`),
  rule("sentry_token", String.raw`sntry[su]_[\w+/=-]{30,}`),
  rule(
    "grafana_token",
    "(?:glc_[A-Za-z0-9+/]{32,}={0,3}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|eyJrIjoi[A-Za-z0-9]{70,}={0,3})",
  ),
  rule("newrelic_key", String.raw`NR(?:AK-[A-Z0-9]{27}|JS-[a-f0-9]{19}|II-[\w-]{32})`),
  rule("frameio_token", String.raw`fio-u-[\w=-]{64}`),
  rule("dropbox_token", String.raw`sl\.[\w-]{130,}`),
  rule("facebook_token", "EAA[MC][A-Za-z0-9]{100,}"),
  rule("facebook_token", String.raw`\d{15,16}\|[\w-]{27,40}${NOT_TOKEN}`, { boundary: "digit" }),
  rule("mapbox_token", String.raw`[ps]k\.eyJ[\w.-]{50,}`),
  // Payments and commerce
  rule("stripe_key", "(?:sk|rk|pk)_(?:test|live|prod)_[A-Za-z0-9]{10,}"),
  rule("stripe_key", "whsec_[A-Za-z0-9]{20,}"),
  rule("square_token", String.raw`(?:sq0atp-|sq0csp-|EAAA)[\w-]{22,60}`, {
    check: mixedCase,
  }),
  rule("shopify_token", "shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
  rule("shippo_token", "shippo_(?:live|test)_[a-fA-F0-9]{40}"),
  rule("flutterwave_key", "FLW(?:SECK|PUBK)_TEST-[a-hA-H0-9]{12,32}(?:-X)?"),
  rule("razorpay_key", "rzp_(?:live|test)_[A-Za-z0-9]{14,}"),
  rule("braintree_token", String.raw`access_token\$(?:production|sandbox)\$[a-z0-9]{16}\$[a-f0-9]{32}`),
  rule("duffel_token", String.raw`duffel_(?:test|live)_[\w=-]{43}`),
  rule("easypost_key", "EZ[AT]K[A-Za-z0-9]{54}"),
  // Keys and identities
  rule("age_secret_key", "AGE-SECRET-KEY-1[0-9A-Z]{58}"),
  rule("onepassword_key", "A3-[A-Z0-9]{6}-[A-Z0-9-]{20,}"),
  rule("onepassword_token", String.raw`ops_eyJ[\w+/=]{100,}`),
  rule("adobe_secret", "p8e-[A-Za-z0-9]{32}"),
  rule("airtable_token", String.raw`pat[A-Za-z0-9]{14}\.[a-f0-9]{64}`),
  rule("maxmind_key", `_mmk${NOT_ALNUM}`, {
    lead: [/\w/, 36],
    check: (m) => /^[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk$/.test(m),
  }),
  rule("settlemint_token", "sm_[aps]at_[A-Za-z0-9]{16}"),
  rule(
    "authress_key",
    String.raw`(?:sc|ext|scauth|authress)_[a-z0-9]{5,30}\.[a-z0-9]{4,6}\.acc[_-][a-z0-9-]{10,32}\.[\w+/=-]{30,120}`,
  ),
  rule("yandex_key", String.raw`(?:AQVN[\w-]{35,38}|t1\.[\w-]{8,}={0,2}\.[\w-]{86}={0,2})`),
  rule("jwt", String.raw`eyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]*`),
  /**
   * Generic: a short lower-case vendor prefix, `_` or `-`, and a long random
   * body (mixed case and digits, high entropy), the shape most new token
   * formats take (`abc_live_9fK...`).
   */
  rule(
    "token",
    String.raw`(?!sha\d|md5)[a-z][a-z0-9]{1,9}(?:[_-][a-z0-9]{2,10}){0,2}[_-][A-Za-z0-9]{32,}(?![A-Za-z0-9+/=])`,
    {
      // Not a base64 digest (`sha512-...`, followed by `+`, `/` or `=`).
      check: (m) => {
        const body = m.slice(Math.max(m.lastIndexOf("_"), m.lastIndexOf("-")) + 1);
        return mixedCase(body) && entropyAtLeast(body, 4);
      },
    },
  ),
];
