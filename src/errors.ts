/**
 * An error the user caused and can fix: a bad flag, a bad file, a bad checkpoint.
 * The CLI prints its message as one line on stderr and exits with code 2, no stack trace.
 * Anything else that escapes is a bug and is allowed to crash loudly.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
}
