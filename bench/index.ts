/**
 * `npm run bench`: runs every `bench/*.bench.ts` (or only those whose name contains an
 * argument) one after the other; each prints its own figures and ratios. A bench may also
 * export `optional` parts that run only when an argument names them exactly (e.g.
 * `npm run bench -- toolchain-cold`, which runs only that part of engine.bench.ts).
 */
import * as fs from "fs";
import * as path from "path";

interface BenchModule {
  /** The bench's default figures. */
  run(): Promise<void>;
  /** Parts run only when named on the command line, by name. */
  optional?: Record<string, () => Promise<void>>;
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(".bench.ts"))
    .sort();
  // Arguments that name no bench file may name a bench's optional part: those benches are loaded to see.
  const unmatched = filters.filter((x) => !files.some((f) => f.includes(x)));
  const found = new Set<string>();
  for (const file of files) {
    const byName = filters.length === 0 || filters.some((x) => file.includes(x));
    if (!byName && unmatched.length === 0) continue;
    const mod = (await import(path.join(__dirname, file))) as BenchModule;
    const parts = unmatched.filter((x) => mod.optional !== undefined && Object.prototype.hasOwnProperty.call(mod.optional, x));
    parts.forEach((p) => found.add(p));
    if (!byName && parts.length === 0) continue;
    console.log(`\n== ${file}${parts.length > 0 ? ` (${parts.join(", ")})` : ""} ==`);
    if (byName) await mod.run();
    for (const part of parts) await mod.optional![part]();
  }
  const unknown = unmatched.filter((x) => !found.has(x));
  if (unknown.length > 0) throw new Error(`no bench file or optional part is named ${unknown.join(", ")}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
