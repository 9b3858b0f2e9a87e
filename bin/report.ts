/**
 * `npm run report -- [--stack NAME]... [--outputs [NAME=]FILE]... [--out DIR]`:
 * one self-contained HTML report plus a Markdown summary under reports/ (report/cli.ts).
 */
import { main } from "../report/cli";

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`report: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
