/**
 * Golden files: `expectGolden(name, text, dir)` compares `text` with `dir/name` exactly.
 * To regenerate after an intended change, run the test with UPDATE_GOLDEN=1 (e.g.
 * `UPDATE_GOLDEN=1 npx jest tests/kind`) and review the diff before committing it.
 */
import * as fs from "fs";
import * as path from "path";

export function expectGolden(name: string, actual: string, dir: string): void {
  const file = path.join(dir, name);
  if (process.env.UPDATE_GOLDEN === "1") {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  if (!fs.existsSync(file)) {
    throw new Error(`golden file ${file} is missing; create it with UPDATE_GOLDEN=1 npx jest <its test> and review it`);
  }
  expect(actual).toEqual(fs.readFileSync(file, "utf8"));
}
