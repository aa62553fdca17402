/** `rmail queue list|flush` and `rmail dkim show DOMAIN` (work while the server runs). */
import { ActorRegistry } from '../actors/registry.js';
import { listQueueEntries, touchFlushMarker } from '../store/queue.js';
import { generateDkimKey, dkimDnsRecord } from '../services/dkim.js';
import { QueueFiles } from '../actors/queue.js';
import { ValidationError } from '../common/errors.js';
import { checkDomain } from '../common/names.js';
import type { Config } from '../common/types.js';
import type { CliCommand } from './cli.js';

/** `rmail queue list` prints one line per queued message; `rmail queue flush` asks the server to retry now. */
export const queueCommand: CliCommand = async (config: Config, p) => {
  const sub = p.positional[1];
  const entries = await listQueueEntries(config.mail_root);
  if (sub === 'list') {
    if (entries.length === 0) console.log('queue is empty');
    for (const e of entries) {
      const pending = e.recipients.filter((r) => r.status === 'pending').map((r) => r.address);
      console.log([e.id, e.from || '<>', pending.join(','), `attempts=${e.attempts}`, `next=${e.next_attempt}`,
        `size=${e.size}`, e.last_error ?? ''].join('\t'));
    }
    return;
  }
  if (sub === 'flush') {
    await touchFlushMarker(config.mail_root);
    console.log(`flush requested for ${entries.length} queued message(s)`);
    return;
  }
  throw new ValidationError(`unknown queue command ${sub ?? '(none)'}; try: list, flush`);
};

/** `rmail dkim show DOMAIN` prints the DNS TXT record of the domain's DKIM key (made if missing). */
export const dkimCommand: CliCommand = async (config: Config, p) => {
  const [, sub, domainArg] = p.positional;
  if (sub !== 'show') throw new ValidationError(`unknown dkim command ${sub ?? '(none)'}; try: show DOMAIN`);
  const domain = checkDomain(domainArg);
  if (!config.domains.includes(domain)) throw new ValidationError(`domain ${domain} is not served here`);
  const actors = new ActorRegistry(config.mail_root);
  const key = await new QueueFiles(actors, config.mail_root).dkimKey(domain, generateDkimKey);
  await actors.close();
  console.log(dkimDnsRecord(domain, key));
};
