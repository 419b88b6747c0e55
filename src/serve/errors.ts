/** Errors the server answers with a status and a stable code (JSON `{error: {code, message, hint}}`). */
import { ShipgateError } from '../errors.js';

export type ServeCode = 'SERVE_BAD_QUERY' | 'SERVE_NOT_FOUND' | 'SERVE_UNAUTHORIZED' | 'SERVE_READ_ONLY' | 'SERVE_FORBIDDEN_HOST';

const STATUS: Record<ServeCode, 400 | 401 | 403 | 404 | 405> = {
  SERVE_BAD_QUERY: 400,
  SERVE_NOT_FOUND: 404,
  SERVE_UNAUTHORIZED: 401,
  SERVE_READ_ONLY: 405,
  SERVE_FORBIDDEN_HOST: 403,
};

export class ServeError extends ShipgateError {
  readonly status: 400 | 401 | 403 | 404 | 405;
  constructor(code: ServeCode, message: string, hint?: string) {
    super(code, message, { hint });
    this.status = STATUS[code];
  }
}
