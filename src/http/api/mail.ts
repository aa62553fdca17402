/** The mail API area: /folders, /folders/{folder}/messages, /messages/send. */
import type { Router } from '../router.js';
import type { Services } from '../../services/index.js';
import { registerFolderRoutes } from './folders.js';
import { registerMessageRoutes } from './messages.js';
import { registerSendRoutes } from './send.js';

/** Register every mail API route. */
export function registerMailRoutes(router: Router, services: Services): void {
  registerFolderRoutes(router, services);
  registerMessageRoutes(router, services);
  registerSendRoutes(router, services);
}
