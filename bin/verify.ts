/**
 * `npm run verify -- [--stack NAME | --outputs FILE | -]`: reads the stack outputs, prints
 * the captures' verdicts as a table and exits 0 (all passed), 1 (any failed, or none) or 2
 * (outputs unusable). The logic is in verdicts/; this file only does I/O.
 */
import { EXIT, parseVerifyArgs, VERIFY_USAGE, Verdict, verifySource } from "../verdicts/verify";

function verdict(argv: string[]): Promise<Verdict> {
  const parsed = parseVerifyArgs(argv);
  if ("error" in parsed) return Promise.resolve({ stdout: "", stderr: `verify: ${parsed.error}\n${VERIFY_USAGE}\n`, code: EXIT.UNUSABLE });
  return verifySource(parsed.source);
}

verdict(process.argv.slice(2)).then(
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
