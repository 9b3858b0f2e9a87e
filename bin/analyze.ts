/** `npm run analyze -- <file>...` — see analysis/cli.ts. */
import { runAnalyze } from "../analysis/cli";

runAnalyze(process.argv.slice(2), {
  out: (t) => process.stdout.write(t + "\n"),
  err: (t) => process.stderr.write(t + "\n"),
})
  .then((code) => {
    process.exitCode = code;
  })
  .catch((e: unknown) => {
    process.stderr.write(`analyze: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  });
