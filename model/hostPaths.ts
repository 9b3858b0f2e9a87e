/**
 * The real host's answers to `HostPaths` (model/captureDir.ts): the one place reading the
 * config looks at the file system, so model/config.ts and model/validate.ts stay pure.
 */
import * as fs from "fs";
import * as path from "path";
import { CAPTURE_MARKER, HostPaths, PathState } from "./captureDir";

export const HOST_PATHS: HostPaths = {
  realpath(abs: string): string {
    // The longest part that exists, with its symlinks resolved, then the rest as written.
    const rest: string[] = [];
    for (let head = abs; ; head = path.dirname(head)) {
      try {
        return path.join(fs.realpathSync(head), ...rest);
      } catch {
        // not there (yet): try the folder above
      }
      if (path.dirname(head) === head) return abs;
      rest.unshift(path.basename(head));
    }
  },
  probe(abs: string): PathState {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch {
      return { kind: "missing" };
    }
    if (!stat.isDirectory()) return { kind: "file" };
    let marker: string | undefined;
    try {
      marker = fs.readFileSync(path.join(abs, CAPTURE_MARKER), "utf8");
    } catch {
      // no marker: a folder the lab did not make
    }
    return { kind: "folder", marker };
  },
};
