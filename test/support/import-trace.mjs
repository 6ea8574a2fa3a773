// Preloaded with `node --import` by test/cli/startup-imports.test.ts: records the
// URL of every module the process loads, one a line, in $IMPORT_TRACE_FILE.
import { register } from "node:module";

register("./import-trace-hooks.mjs", import.meta.url, { data: { file: process.env.IMPORT_TRACE_FILE } });
