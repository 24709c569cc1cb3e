/**
 * Exit codes of the `ola` command. They mean something:
 * 0 success, 1 the work failed (bad data, numeric failure, I/O), 2 bad arguments (usage).
 */
export const ExitCode = { ok: 0, failure: 1, usage: 2 } as const;

/** An error the user caused with an argument: names the argument and the allowed range. Exit code 2. */
export class UsageError extends Error {
  readonly exitCode = ExitCode.usage;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
