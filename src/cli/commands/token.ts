/**
 * `token create|list|revoke`: team mode's per-person tokens (AUTH_MODE=tokens).
 * The token is printed once, at creation; only its SHA-256 hash is kept, in
 * `<dataDir>/tokens.json`, and `list` shows fingerprints, never tokens.
 */
import type { TokenRecord } from "../../auth/tokens.js";
import { teamUserId } from "../../core/access.js";
import type { RegisterCommand } from "../context.js";
import { jsonOption } from "../options.js";
import { json } from "../render.js";
import { describeCommand } from "./catalog.js";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** What `list` shows of a token: never the hash. */
function publicView(t: TokenRecord) {
  return {
    fingerprint: t.id,
    user: t.user,
    admin: t.admin,
    teams: t.teams,
    label: t.label ?? null,
    created_at: t.created_at,
    revoked_at: t.revoked_at ?? null,
  };
}

function describe(t: TokenRecord): string {
  const scope = [t.admin ? "admin" : "", ...t.teams.map((x) => `team ${x} (${teamUserId(x)})`)]
    .filter(Boolean)
    .join(", ");
  const state = t.revoked_at ? `revoked ${t.revoked_at}` : `created ${t.created_at}`;
  return `${t.id}  ${t.user}${scope ? `  [${scope}]` : ""}${t.label ? `  "${t.label}"` : ""}  ${state}`;
}

export const registerTokenCommands: RegisterCommand = (program, ctx) => {
  const token = program.command("token").description(describeCommand("token"));
  const tokens = () => import("../../auth/tokens.js");

  token
    .command("create")
    .description("make a token for a person and print it once (only its hash is kept)")
    .requiredOption("--user <id>", "whose token: it decides the user_id of everything done with it")
    .option("--admin", "may also forget and export any user's memories")
    .option(
      "--team <name>",
      "may also read and add to the team's shared memory, user_id team:<name> (repeatable)",
      collect,
      [],
    )
    .option("--label <text>", "a note shown by `token list` (e.g. the machine)")
    .addOption(jsonOption())
    .action(
      async (flags: { user: string; admin?: boolean; team: string[]; label?: string; json?: boolean }) => {
        const { createToken, tokensPath } = await tokens();
        const dataDir = ctx.config().dataDir;
        const made = createToken(dataDir, {
          user: flags.user,
          admin: flags.admin ?? false,
          teams: flags.team,
          label: flags.label,
        });
        if (flags.json) {
          ctx.out(json({ token: made.token, ...publicView(made.record) }));
          return;
        }
        ctx.out(made.token);
        ctx.err(
          `token ${made.record.id} for ${flags.user}${flags.admin ? " (admin)" : ""} saved to ${tokensPath(dataDir)} as a hash: ` +
            "this is the only time it is shown. Give it to that person only.",
        );
        if (ctx.config().authMode !== "tokens")
          ctx.err("note: tokens are checked only in team mode: set AUTH_MODE=tokens for the servers.");
      },
    );

  token
    .command("list")
    .description("list tokens by fingerprint, user and scope (never the tokens)")
    .option("--all", "include revoked tokens")
    .addOption(jsonOption())
    .action(async (flags: { all?: boolean; json?: boolean }) => {
      const { readTokens } = await tokens();
      const list = readTokens(ctx.config().dataDir).filter((t) => flags.all || !t.revoked_at);
      if (flags.json) {
        ctx.out(json(list.map(publicView)));
        return;
      }
      ctx.out(
        list.length === 0
          ? "no tokens (make one with `token create --user <id>`)"
          : list.map(describe).join("\n"),
      );
    });

  token
    .command("revoke <fingerprint>")
    .description("stop a token at once (by the fingerprint `token list` shows)")
    .action(async (fingerprint: string) => {
      const { revokeToken } = await tokens();
      const t = revokeToken(ctx.config().dataDir, fingerprint);
      ctx.out(`revoked ${t.id} (${t.user}): it is refused from the next request on`);
    });
};
