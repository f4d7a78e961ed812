/**
 * Credentialed CORS for browser apps on other origins: off unless an allow-list is configured.
 * Only listed origins are echoed back; `*` is never used with credentials.
 */
import type { RequestHandler } from 'express';
import { CSRF_HEADER } from '../rpc/csrf';

export function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.get('origin');
    if (!origin || !allowed.has(origin)) {
      next();
      return;
    }
    res.vary('Origin');
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Expose-Headers', CSRF_HEADER);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
      res.setHeader('Access-Control-Allow-Headers', `Content-Type, ${CSRF_HEADER}, X-Requested-With`);
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
