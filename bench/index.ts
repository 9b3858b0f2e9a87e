/**
 * `npm run bench`: runs every `bench/*.bench.ts` (or only those whose name contains an
 * argument) one after the other; each prints its own figures and ratios.
 */
import * as fs from "fs";
import * as path from "path";

interface BenchModule {
  run(): Promise<void>;
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(".bench.ts"))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  for (const file of files) {
    console.log(`\n== ${file} ==`);
    const mod = (await import(path.join(__dirname, file))) as BenchModule;
    await mod.run();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
