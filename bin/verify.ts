/**
 * `npm run verify -- [--stack NAME | --outputs FILE | -]`: reads the stack outputs, prints
 * the captures' verdicts as a table and exits 0 (all passed), 1 (any failed, or none) or 2
 * (outputs unusable). The logic is in verdicts/; this file only does I/O.
 */
import { InputError, readOutputs } from "../verdicts/stackOutputs";
import { EXIT, parseVerifyArgs, unusable, VERIFY_USAGE, Verdict, verifyOutputs } from "../verdicts/verify";

async function main(): Promise<Verdict> {
  const parsed = parseVerifyArgs(process.argv.slice(2));
  if ("error" in parsed) return { stdout: "", stderr: `verify: ${parsed.error}\n${VERIFY_USAGE}\n`, code: EXIT.UNUSABLE };
  try {
    return verifyOutputs((await readOutputs(parsed.source)).outputs);
  } catch (e) {
    if (e instanceof InputError) return unusable(e);
    throw e;
  }
}

main().then(
  (v) => {
    process.stdout.write(v.stdout);
    process.stderr.write(v.stderr);
    process.exitCode = v.code;
  },
  (e: unknown) => {
    process.stderr.write(`verify: unexpected failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = EXIT.UNUSABLE;
  },
);
