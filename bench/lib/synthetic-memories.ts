import { normaliseMemoryText } from "../../src/store/memory-hash.js";
import type { SeededRng } from "./seeded-rng.js";

/**
 * Developer-ish memories as a capture proxy would store them: preferences,
 * project facts, commands, bugs and decisions, 40–400 characters, with a long
 * tail of identifiers (files, functions, ticket numbers) like real notes.
 */
const TOOLS = [
  "pnpm",
  "npm",
  "yarn",
  "vitest",
  "jest",
  "playwright",
  "docker",
  "kubernetes",
  "terraform",
  "postgres",
  "redis",
  "sqlite",
  "kafka",
  "nginx",
  "git",
  "github actions",
  "eslint",
  "biome",
  "prettier",
  "typescript",
  "python",
  "poetry",
  "uv",
  "pytest",
  "rust",
  "cargo",
  "go",
  "bazel",
  "webpack",
  "vite",
  "esbuild",
  "tsx",
  "react",
  "nextjs",
  "svelte",
  "tailwind",
  "prisma",
  "drizzle",
  "graphql",
  "grpc",
  "protobuf",
  "neovim",
  "vscode",
  "tmux",
  "zsh",
  "ripgrep",
  "fzf",
  "homebrew",
  "nix",
  "ansible",
  "helm",
  "argo",
  "sentry",
  "datadog",
  "grafana",
  "prometheus",
  "opentelemetry",
  "fastapi",
  "django",
  "flask",
  "express",
  "hono",
];
const TASKS = [
  "running unit tests",
  "deploying to staging",
  "database migrations",
  "code review",
  "release notes",
  "debugging flaky tests",
  "profiling memory leaks",
  "formatting code",
  "bundling the frontend",
  "writing integration tests",
  "rotating secrets",
  "upgrading dependencies",
  "caching builds",
  "reviewing pull requests",
  "tracing slow requests",
  "seeding test data",
  "generating types",
  "linting commits",
  "backfilling analytics",
  "handling retries",
  "paginating results",
  "streaming responses",
];
const PROJECTS = [
  "billing-service",
  "web-dashboard",
  "mobile-app",
  "data-pipeline",
  "auth-gateway",
  "search-indexer",
  "notification-worker",
  "admin-portal",
  "cli-tools",
  "infra-live",
  "docs-site",
  "payments-api",
  "feature-flags",
  "image-resizer",
  "event-bus",
  "recommendation-engine",
  "shop-frontend",
  "ml-training",
  "log-shipper",
  "scheduler",
];
const PLATFORMS = ["fly.io", "aws lambda", "cloud run", "vercel", "a hetzner box", "ecs fargate", "render"];
const REASONS = [
  "it is faster on CI",
  "the team already knows it",
  "it cut cold starts in half",
  "licensing was simpler",
  "the old one kept timing out",
  "it has better TypeScript types",
  "memory use dropped a lot",
  "the vendor sunset the previous API",
  "it keeps the config in one place",
];
const ERRORS = [
  "ECONNRESET",
  "ETIMEDOUT",
  "SQLITE_BUSY",
  "OOMKilled",
  "TypeError: cannot read properties of undefined",
  "deadlock detected",
  "401 Unauthorized",
  "429 Too Many Requests",
  "segfault",
  "race condition",
  "stale cache entry",
  "off-by-one in pagination",
  "timezone bug",
  "unicode normalisation bug",
];
const VERBS = ["split", "merge", "rewrite", "cache", "retire", "shard", "inline", "extract", "rename", "pin"];
const NOUNS = [
  "user",
  "order",
  "invoice",
  "session",
  "token",
  "queue",
  "worker",
  "handler",
  "client",
  "schema",
  "router",
  "config",
  "report",
  "payload",
  "cursor",
  "index",
  "bucket",
  "webhook",
  "job",
  "tenant",
];

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function identifier(rng: SeededRng): string {
  switch (rng.int(0, 3)) {
    case 0:
      return `src/${rng.pick(NOUNS)}/${rng.pick(NOUNS)}-${rng.pick(VERBS)}.ts`;
    case 1:
      return `${rng.pick(VERBS)}${cap(rng.pick(NOUNS))}${cap(rng.pick(NOUNS))}()`;
    case 2:
      return `#${rng.int(100, 99_999)}`;
    default:
      return `${rng.pick(NOUNS).toUpperCase()}_${rng.pick(NOUNS).toUpperCase()}_${rng.int(1, 99)}`;
  }
}

function sentence(rng: SeededRng): string {
  const tool = () => rng.pickSkewed(TOOLS);
  switch (rng.int(0, 6)) {
    case 0:
      return `The user prefers ${tool()} over ${tool()} for ${rng.pick(TASKS)}.`;
    case 1:
      return `${rng.pick(PROJECTS)} uses ${tool()} with ${tool()} and deploys to ${rng.pick(PLATFORMS)}.`;
    case 2:
      return `When ${rng.pick(TASKS)} in ${rng.pick(PROJECTS)}, run \`${tool()} ${rng.pick(VERBS)} ${identifier(rng)}\` first.`;
    case 3:
      return `Bug: ${rng.pick(ERRORS)} in ${identifier(rng)} while ${rng.pick(TASKS)}; fixed by ${rng.pick(VERBS)}ing the ${rng.pick(NOUNS)} ${rng.pick(NOUNS)}.`;
    case 4:
      return `Decided to ${rng.pick(VERBS)} the ${rng.pick(NOUNS)} ${rng.pick(NOUNS)} in ${rng.pick(PROJECTS)} because ${rng.pick(REASONS)}.`;
    case 5:
      return `Ticket ${identifier(rng)} tracks ${rng.pick(TASKS)} for ${rng.pick(PROJECTS)} (owner: ${rng.pick(NOUNS)} team).`;
    default:
      return `Remember that ${tool()} needs ${identifier(rng)} set before ${rng.pick(TASKS)}.`;
  }
}

export interface SyntheticMemory {
  memory: string;
  app_id: string;
  run_id: string;
  categories: string[];
  metadata: { source: string; turn: number };
}

/** One memory text, 40–400 characters (length skewed short, as real memories are). */
export function memoryText(rng: SeededRng): string {
  const target = Math.round(40 + 360 * rng.next() ** 2);
  let text = sentence(rng);
  while (text.length < target) text += ` ${sentence(rng)}`;
  if (text.length > 400) text = text.slice(0, text.lastIndexOf(" ", 400));
  return text;
}

/** `count` memories the store will not merge as duplicates, deterministic for a seed. */
export function syntheticMemories(rng: SeededRng, count: number): SyntheticMemory[] {
  const seen = new Set<string>();
  const out: SyntheticMemory[] = [];
  const categories = ["preferences", "project", "commands", "bugs", "decisions", "people"];
  while (out.length < count) {
    const memory = memoryText(rng);
    const key = normaliseMemoryText(memory);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      memory,
      app_id: rng.pick(PROJECTS),
      run_id: `session-${Math.floor(out.length / 40)}`,
      categories: rng.chance(0.6) ? [rng.pick(categories)] : [],
      metadata: { source: "proxy", turn: rng.int(1, 60) },
    });
  }
  return out;
}

/** Search queries: keywords, questions a model would ask, and phrases recalled from stored memories. */
export function syntheticQueries(
  rng: SeededRng,
  count: number,
  memories: readonly SyntheticMemory[],
): string[] {
  const queries: string[] = [];
  while (queries.length < count) {
    const kind = rng.next();
    if (kind < 0.45) {
      queries.push(Array.from({ length: rng.int(1, 3) }, () => rng.pickSkewed(TOOLS)).join(" "));
    } else if (kind < 0.75) {
      queries.push(
        rng.chance(0.5)
          ? `how do we handle ${rng.pick(TASKS)} in ${rng.pick(PROJECTS)}?`
          : `what does the user prefer for ${rng.pick(TASKS)}`,
      );
    } else {
      const words = rng.pick(memories).memory.split(" ");
      const start = rng.int(0, Math.max(0, words.length - 4));
      queries.push(words.slice(start, start + rng.int(3, 6)).join(" "));
    }
  }
  return queries;
}
