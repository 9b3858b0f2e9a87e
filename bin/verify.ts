/**
 * `npm run verify -- [--stack NAME | --outputs FILE | -]`: reads the stack outputs, prints
 * the captures' verdicts as a table and exits 0 (all passed), 1 (any failed, or none) or 2
 * (outputs unusable). The logic is in analysis/verify.ts; this file only does I/O.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import { EXIT, parseVerifyArgs, pulumiArgs, VERIFY_USAGE, verifyText, OutputsSource } from "../analysis/verify";

function read(source: OutputsSource): { text: string; origin: string } | { error: string } {
  switch (source.kind) {
    case "stdin":
      try {
        return { text: fs.readFileSync(0, "utf8"), origin: "standard input" };
      } catch (e) {
        return { error: `cannot read standard input: ${e instanceof Error ? e.message : String(e)}` };
      }
    case "file":
      try {
        return { text: fs.readFileSync(source.path, "utf8"), origin: source.path };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        return { error: `cannot read ${source.path}: ${code === "ENOENT" ? "no such file" : e instanceof Error ? e.message : String(e)}` };
      }
    case "stack": {
      const args = pulumiArgs(source.name);
      const r = spawnSync("pulumi", args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
      const cmd = `pulumi ${args.join(" ")}`;
      if (r.error) {
        const code = (r.error as NodeJS.ErrnoException).code;
        return {
          error:
            code === "ENOENT"
              ? `the pulumi CLI is not installed (or not on PATH), so \`${cmd}\` cannot run; pass the outputs with --outputs FILE or on standard input with -`
              : `\`${cmd}\` could not run: ${r.error.message}`,
        };
      }
      if (r.status !== 0) return { error: `\`${cmd}\` failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout).trim()}` };
      return { text: r.stdout, origin: `the outputs of stack ${source.name ?? "(current)"}` };
    }
  }
}

function main(): number {
  const parsed = parseVerifyArgs(process.argv.slice(2));
  if ("error" in parsed) {
    process.stderr.write(`verify: ${parsed.error}\n${VERIFY_USAGE}\n`);
    return EXIT.UNUSABLE;
  }
  const input = read(parsed.source);
  if ("error" in input) {
    process.stderr.write(`verify: ${input.error}\n`);
    return EXIT.UNUSABLE;
  }
  const result = verifyText(input.text, input.origin);
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.code;
}

process.exitCode = main();
