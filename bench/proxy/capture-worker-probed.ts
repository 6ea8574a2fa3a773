/** The capture thread exactly as `start` runs it, answering the bench's memory asks (thread-memory.ts). */
import { answerMemoryAsks } from "./thread-memory.js";

answerMemoryAsks("capture");
await import("../../src/cli/capture-worker.js");
