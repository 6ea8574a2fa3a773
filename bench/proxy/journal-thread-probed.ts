/** The journal writer's thread exactly as `start` runs it, answering the bench's memory asks (thread-memory.ts). */
import { answerMemoryAsks } from "./thread-memory.js";

answerMemoryAsks("journal writer");
await import("../../src/cli/journal-thread.js");
