/**
 * The webmail's way to send a composed message: the same submission path as POST
 * /messages/send (local recipients delivered through their actors, remote ones queued, a copy
 * in Sent). Until that service is in `Services`, sending answers 503.
 */
import type { Services } from '../../services/index.js';
import { HttpError } from '../../common/errors.js';

/** Submit `raw` from `from` to `recipients`. */
export async function submitMessage(services: Services, from: string, recipients: string[], raw: Buffer): Promise<void> {
  void services; void from; void recipients; void raw;
  throw new HttpError(503, 'Sending is not available yet');
}
