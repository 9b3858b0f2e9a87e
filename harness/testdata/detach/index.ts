/**
 * Harness test program: one Command starting a long-lived helper (`sleep`) in one of
 * three ways, chosen by config `style`:
 *   setsid      its own session, stdin from /dev/null, output to files: the create returns
 *               and the helper outlives the update (stopped by its PID on delete);
 *   background  `&` with redirected output but no setsid: the create returns, and the
 *               helper dies when the provider's process group is killed at the end;
 *   holds-pipes `&` keeping the command's stdout: the create never completes (a hang).
 * The helper's PID goes to $PIDFILE.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

const cfg = new pulumi.Config();
const dir = cfg.require("dir");
const style = cfg.require("style");
const starts: Record<string, string> = {
  setsid: `setsid sleep 300 </dev/null >"$DIR/helper.out" 2>&1 & echo $! > "$PIDFILE"`,
  background: `sleep 300 </dev/null >"$DIR/helper.out" 2>&1 & echo $! > "$PIDFILE"`,
  "holds-pipes": `sleep 300 & echo $! > "$PIDFILE"; echo started`,
};

const helper = new command.local.Command("helper", {
  create: starts[style],
  delete: `kill "$(cat "$PIDFILE")" 2>/dev/null || true; rm -f "$PIDFILE"`,
  environment: { DIR: dir, PIDFILE: `${dir}/helper.pid` },
});

export const started = helper.stdout;
