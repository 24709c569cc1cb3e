/** A profile file that cannot be used: wrong format/version, stale (model hash mismatch), malformed. */
export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProfileError";
  }
}
