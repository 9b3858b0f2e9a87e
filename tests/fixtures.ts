/**
 * The shared upstream fixtures (containerlab's topology schema, a real Calico manifest),
 * found in one place for every test that needs them. Nothing here is committed: the files
 * are read from where the workplace keeps them, or fetched once into the git-ignored
 * `.cache/fixtures/`, and a test that finds none of them is skipped with the reason.
 *
 * Order:
 *   1. `$CALICO_IPIP_LAB_FIXTURES/<relative path>` (a folder laid out like ../shared/fixtures)
 *   2. `<repo>/../shared/fixtures/<relative path>`
 *   3. `<repo>/.cache/fixtures/<relative path>`, downloaded once from the pinned upstream tag
 *   4. `{ skip: "<why each of the above failed>" }`
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export type FixtureName = "clab-schema" | "calico-manifest";

export type FixtureResult = { path: string } | { skip: string };

export interface FixtureSource {
  /** Path inside a fixtures folder (../shared/fixtures layout). */
  relative: string;
  /** The same file at its pinned upstream tag. */
  url: string;
  /** Rejects a download that is not the file (an error page, a truncated body). */
  looksRight: (text: string) => boolean;
}

export const FIXTURE_ENV = "CALICO_IPIP_LAB_FIXTURES";

export const FIXTURES: Record<FixtureName, FixtureSource> = {
  "clab-schema": {
    relative: "containerlab/clab.schema.v0.79.0.json",
    url: "https://raw.githubusercontent.com/srl-labs/containerlab/v0.79.0/schemas/clab.schema.json",
    looksRight: (text) => {
      try {
        const parsed = JSON.parse(text) as { definitions?: { "node-config"?: unknown } };
        return parsed.definitions?.["node-config"] !== undefined;
      } catch {
        return false;
      }
    },
  },
  "calico-manifest": {
    relative: "calico/calico.v3.24.5.yaml",
    url: "https://raw.githubusercontent.com/projectcalico/calico/v3.24.5/manifests/calico.yaml",
    looksRight: (text) => /^kind: DaemonSet$/m.test(text) && text.includes("calico-node"),
  },
};

/** The repository root (this file lives in `<repo>/tests/`). */
export const REPO_ROOT = path.resolve(__dirname, "..");

/** Fetches `url` into `dest`; returns an error text, or undefined on success. */
export type Downloader = (url: string, dest: string) => string | undefined;

export interface ResolveOptions {
  env: NodeJS.ProcessEnv;
  repoRoot: string;
  download: Downloader;
}

/**
 * Downloads synchronously in a child `node` (fetch, 20 s timeout), writing to a temporary
 * file first so an interrupted download never leaves a half file in the cache.
 */
export const downloadWithNode: Downloader = (url, dest) => {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const partial = `${dest}.partial-${process.pid}`;
  const script = `
    const [url, out] = process.argv.slice(1);
    fetch(url, { signal: AbortSignal.timeout(20000) })
      .then(async (r) => {
        if (!r.ok) throw new Error("HTTP " + r.status + " " + r.statusText);
        require("fs").writeFileSync(out, Buffer.from(await r.arrayBuffer()));
      })
      .catch((e) => { console.error(String(e && e.cause ? e.message + ": " + e.cause : e)); process.exit(1); });`;
  const r = spawnSync(process.execPath, ["-e", script, url, partial], { encoding: "utf8", timeout: 30000 });
  if (r.status !== 0) {
    fs.rmSync(partial, { force: true });
    return `download of ${url} failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`;
  }
  fs.renameSync(partial, dest);
  return undefined;
};

/** The resolver with its environment made explicit (tests drive it with their own). */
export function resolveFixture(name: FixtureName, opts: ResolveOptions): FixtureResult {
  const source = FIXTURES[name];
  const why: string[] = [];

  const fromEnv = opts.env[FIXTURE_ENV];
  if (fromEnv !== undefined && fromEnv !== "") {
    const p = path.resolve(fromEnv, source.relative);
    if (fs.existsSync(p)) return { path: p };
    why.push(`${FIXTURE_ENV}=${fromEnv} has no ${source.relative}`);
  } else {
    why.push(`${FIXTURE_ENV} is not set`);
  }

  const shared = path.resolve(opts.repoRoot, "..", "shared", "fixtures", source.relative);
  if (fs.existsSync(shared)) return { path: shared };
  why.push(`${shared} does not exist`);

  const cached = path.join(opts.repoRoot, ".cache", "fixtures", source.relative);
  if (fs.existsSync(cached)) return { path: cached };
  const error = opts.download(source.url, cached);
  if (error === undefined) {
    if (source.looksRight(fs.readFileSync(cached, "utf8"))) return { path: cached };
    fs.rmSync(cached, { force: true });
    why.push(`the download of ${source.url} is not a ${name} file`);
  } else {
    why.push(error);
  }
  return { skip: `fixture ${name} not found: ${why.join("; ")}` };
}

const memo = new Map<FixtureName, FixtureResult>();

/** Where the fixture is, or why the tests that need it are skipped (resolved once per process). */
export function fixture(name: FixtureName): FixtureResult {
  let found = memo.get(name);
  if (found === undefined) {
    found = resolveFixture(name, { env: process.env, repoRoot: REPO_ROOT, download: downloadWithNode });
    memo.set(name, found);
  }
  return found;
}

/**
 * `describe` when the fixture is found, else `describe.skip` after logging the reason:
 * `describeWithFixture("calico-manifest", "patch", (file) => { ... })`.
 */
export function describeWithFixture(name: FixtureName, title: string, body: (file: string) => void): void {
  const found = fixture(name);
  if ("path" in found) {
    describe(title, () => body(found.path));
  } else {
    console.warn(`skipping "${title}": ${found.skip}`);
    describe.skip(title, () => body(""));
  }
}
