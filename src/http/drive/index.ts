/**
 * Drive routes (reference.md "Drive", "Sharing"): the share API under /drive/_share, then one
 * handler per method on /drive and /drive/*. Those use `auth: 'optional'`: a share UID as
 * first segment is public access, anything else needs a principal (context.ts decides).
 */
import type { Router } from '../router.js';
import type { Services } from '../../services/index.js';
import type { HttpRequest, Reply } from '../types.js';
import { registerShareRoutes } from './share.js';
import { getHandler } from './get.js';
import { putHandler } from './put.js';
import { postHandler } from './post.js';
import { deleteHandler } from './delete.js';
import { mkcolHandler } from './mkcol.js';
import { moveHandler } from './move.js';
import { copyHandler } from './copy.js';
import { propfindHandler } from './propfind.js';
import { proppatchHandler } from './proppatch.js';
import { lockHandler } from './lock.js';
import { unlockHandler } from './unlock.js';
import { optionsHandler } from './options.js';

type DriveHandler = (req: HttpRequest, s: Services) => Promise<Reply>;

const HANDLERS: Record<string, DriveHandler> = {
  GET: getHandler, HEAD: getHandler, PUT: putHandler, POST: postHandler, DELETE: deleteHandler, MKCOL: mkcolHandler,
  MOVE: moveHandler, COPY: copyHandler, PROPFIND: propfindHandler, PROPPATCH: proppatchHandler, LOCK: lockHandler,
  UNLOCK: unlockHandler,
};

/** Register every drive route. */
export function registerDriveRoutes(router: Router, s: Services): void {
  registerShareRoutes(router, s);
  router.on('OPTIONS', '/drive/*', { auth: 'none' }, optionsHandler);
  for (const [method, handler] of Object.entries(HANDLERS)) {
    router.on(method, '/drive/*', { auth: 'optional' }, (req) => handler(req, s));
  }
}
