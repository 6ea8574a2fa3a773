/**
 * The node flags of the long-running proxy process (`start`), defined once.
 * V8 sizes a process's young generation from its flags at start only
 * (`v8.setFlagsFromString` at run time changes nothing), and the forwarding
 * thread is the process's main thread, so `start` must be launched with them.
 * Every way it is launched uses this list: the executable's shebang
 * (src/cli/main.ts, `#!/usr/bin/env -S node <flags>`), package.json's `start`
 * script, `start --background` (background.ts), the service files (`setup
 * service`) and bench:proxy's proxy child. test/cli/node-flags.test.ts fails
 * when one of them drifts from this list.
 *
 * - `--max-semi-space-size=2`: 2 MiB semi-spaces instead of V8's 16 MiB (on a
 *   64-bit machine with a heap limit of 2 GiB or more): after a burst the
 *   forwarding thread's young generation stayed at 32 MB resident (V8 shrinks
 *   it only in memory-reducing collections); now 4. 1 MiB saved 4 MB more per
 *   thread but cost forward-mode throughput (docs/capture.md, Memory).
 * - `--max-old-space-size=512`: V8 grows the old generation by a factor it
 *   derives from the heap limit: 4x between full collections at its default
 *   limit here (4 GiB), 1.4x at 512 MiB. With the young generation capped
 *   alone, more garbage is promoted, and the forwarding thread's heap now and
 *   then grew to 49 MB (46 "used", mostly garbage) instead of 25. It keeps
 *   about 20 MB live (bodies are Buffers, outside the V8 heap).
 * - `--v8-pool-size=1`: one V8 platform thread instead of four (parallel
 *   scavenges, concurrent marking and compiling). On this 2-core machine the
 *   four helpers cost more than they saved: each kept its own malloc arena
 *   (thread arenas 27-30 MB resident after 10,000 exchanges, 18-20 with
 *   one; peak RSS 153-159 MB -> 147-149), and reverse-mode throughput was
 *   higher in 4 of 4 interleaved rounds (docs/capture.md, "One V8 helper
 *   thread").
 *
 * The heap flags apply to every isolate of the process and take the place of the
 * worker threads' own resourceLimits (thread-options.ts): these are the
 * capture thread's own limits, and the hook thread gets these instead of
 * V8's defaults. They also apply to every other command run through the
 * executable (the shebang): none keeps anywhere near 512 MiB of JavaScript
 * objects (exports and imports stream).
 *
 * No imports: the light commands load this (test/cli/startup-imports.test.ts).
 */
export const PROXY_NODE_FLAGS: readonly string[] = Object.freeze([
  "--max-semi-space-size=2",
  "--max-old-space-size=512",
  "--v8-pool-size=1",
]);
