/**
 * The webmail's way to send a composed message: the submission path POST /messages/send uses
 * (src/services/send.ts `submitRaw`: every recipient routed first, an unknown local one is a
 * 400 and nothing is sent; local recipients delivered through their actors, remote ones queued
 * on the relay queue, a copy in Sent).
 */
import type { Services } from '../../services/index.js';
import type { Principal } from '../../services/auth.js';
import { submitRaw } from '../../services/send.js';

/** Send the message bytes `raw` as `sender` to `recipients`. */
export function submitMessage(services: Services, sender: Principal, recipients: string[], raw: Buffer): Promise<{ delivered: string[]; queued: string[] }> {
  return submitRaw(services, sender, recipients, raw);
}
