/**
 * Entry point of one harness run in a fresh node process:
 *   node -r ts-node/register/transpile-only harness/child.ts <request.json>
 * Started by harness.ts in its own process group, with the program folder as working
 * directory, like the language host and the provider under `pulumi up`.
 */
import * as fs from "fs";
import { HarnessEngine } from "./engine";
import { ChildRequest, emptyResult, RunResult } from "./types";

async function main(): Promise<void> {
  const requestFile = process.argv[2];
  if (!requestFile) {
    process.stderr.write("usage: child.ts <request.json>\n");
    process.exit(2);
  }
  const req = JSON.parse(fs.readFileSync(requestFile, "utf8")) as ChildRequest;
  // Nothing a program leaves unhandled may end the run before its result is written.
  process.on("uncaughtException", (e) => {
    process.stderr.write(`harness: uncaught exception: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  });
  let result: RunResult;
  try {
    const engine = new HarnessEngine(req);
    result = req.mode === "destroy" ? await engine.destroy() : await engine.up();
  } catch (e) {
    result = emptyResult(req.mode, `harness: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  fs.writeFileSync(req.resultFile, JSON.stringify(result));
  // Like the Pulumi CLI at the end of an update: the run is over, whatever is still pending.
  process.exit(0);
}

void main();
