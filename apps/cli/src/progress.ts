// Progress bars for long work. They write to stderr (never stdout, which --json owns) and
// degrade to periodic lines when stderr is not a terminal.
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, total?: number, label?: string): void;
  stop(): void;
}

export function progressBar(title: string, total: number, enabled = true): Progress {
  if (!enabled) return { update() {}, stop() {} };
  if (!process.stderr.isTTY) {
    // Not a terminal (logs, CI, nohup): one line per update, written synchronously. cli-progress's timer-driven
    // non-TTY output never fires while synchronous CKKS work blocks the event loop.
    // At most one line per second (plus the last), so fast loops do not flood the log.
    let tot = total;
    let last = 0;
    return {
      update(done, t, label) {
        if (t !== undefined) tot = t;
        const now = Date.now();
        if (now - last < 1000 && done < tot) return;
        last = now;
        process.stderr.write(`${title} ${done}/${tot}${label ? ` ${label}` : ""}\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${title} [{bar}] {value}/{total} {label} eta {eta_formatted}`,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { label: "" });
  return {
    update(done, t, label) {
      if (t !== undefined) bar.setTotal(t);
      bar.update(done, { label: label ?? "" });
    },
    stop() {
      bar.stop();
    },
  };
}
