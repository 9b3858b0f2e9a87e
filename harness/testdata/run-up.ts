/**
 * Stands in for a tool that drives the harness (as bin/e2e.ts does), so tests can kill
 * it mid-run:  node -r ts-node/register/transpile-only run-up.ts '<UpOptions as JSON>'
 * Prints the run's result as JSON when it ends.
 */
import { runUp, UpOptions } from "..";

runUp(JSON.parse(process.argv[2] ?? "{}") as UpOptions).then((r) => {
  process.stdout.write(`${JSON.stringify(r)}\n`);
});
