/**
 * Entry point of one harness run in a fresh node process:
 *   node -r ts-node/register/transpile-only harness/child.ts <request.json>
 * Started by harness.ts in its own process group, with the program folder as working
 * directory, like the language host and the provider under `pulumi up`.
 *
 * Stopping: SIGTERM or SIGINT cancels the run (harness.ts sends SIGTERM when its caller
 * cancels). stdin is a pipe from the process that started this one, never written to:
 * when it closes, that process is gone, and the run is cancelled the same way. Then no
 * one will read the result, remove the request folder or kill this process group, so
 * this process does all three itself.
 */
import * as fs from "fs";
import * as path from "path";
import { HarnessEngine } from "./engine";
import { ChildRequest, emptyResult, RunResult } from "./types";

/** Why the run was cancelled, once it was; handed to the engine as soon as there is one. */
let cancelReason: string | null = null;
let engine: HarnessEngine | null = null;
let parentGone = false;

function cancel(reason: string): void {
  if (cancelReason !== null) return;
  cancelReason = reason;
  engine?.cancel(reason);
}

/** The run is over and its starter gone: do what harness.ts would have done. */
function cleanUpForGoneParent(requestFile: string, resultFile: string): never {
  for (const f of [requestFile, resultFile]) fs.rmSync(f, { force: true });
  try {
    // Only ever the folder harness.ts made for this run, and only once it is empty.
    fs.rmdirSync(path.dirname(requestFile));
  } catch {
    // not empty or not ours: leave it
  }
  try {
    // As the CLI kills its plugins' groups at the end: helpers a command left in this
    // group without setsid go now. This process is the group's leader (detached spawn).
    process.kill(-process.pid, "SIGKILL");
  } catch {
    // not a group leader (started by hand): nothing else to stop
  }
  process.exit(0);
}

async function main(): Promise<void> {
  const requestFile = process.argv[2];
  if (!requestFile) {
    process.stderr.write("usage: child.ts <request.json>\n");
    process.exit(2);
  }
  const req = JSON.parse(fs.readFileSync(requestFile, "utf8")) as ChildRequest;
  // Once the reader of stdout/stderr is gone, every write fails with EPIPE, emitted as an
  // 'error' event. Unhandled, that error went to the uncaughtException handler below,
  // whose own write failed the same way: a loop on the nextTick queue that kept this
  // process at ~80% CPU for ever and starved the run. A write that cannot be delivered
  // has no one to tell: drop it.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  // Nothing a program leaves unhandled may end the run before its result is written.
  process.on("uncaughtException", (e) => {
    process.stderr.write(`harness: uncaught exception: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  });
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => cancel(`${signal} received`));
  const starter = process.ppid;
  process.stdin.on("close", () => {
    parentGone = true;
    cancel(`the process that started the harness (pid ${starter}) is gone`);
  });
  process.stdin.resume();
  // The pipe must not keep this process alive: the engine tells a stalled program by an
  // empty event loop.
  process.stdin.unref();

  let result: RunResult;
  try {
    engine = new HarnessEngine(req);
    if (cancelReason !== null) engine.cancel(cancelReason);
    result = req.mode === "destroy" ? await engine.destroy() : await engine.up();
  } catch (e) {
    result = emptyResult(req.mode, `harness: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  if (parentGone) cleanUpForGoneParent(requestFile, req.resultFile);
  fs.writeFileSync(req.resultFile, JSON.stringify(result));
  // Like the Pulumi CLI at the end of an update: the run is over, whatever is still pending.
  process.exit(0);
}

void main();
