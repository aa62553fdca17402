/** Every HTTP area registers its routes here, in one place. */
import type { Router } from './router.js';
import type { Services } from '../services/index.js';
import { registerAuthRoutes } from './api/auth.js';
import { registerHealthRoutes } from './api/health.js';
import { registerAdminUserRoutes } from './api/admin-users.js';
import { registerAliasRoutes } from './api/aliases.js';
import { registerMailRoutes } from './api/mail.js';
import { registerWebmailRoutes } from './webmail/index.js';
import { registerDocsRoutes } from './docs.js';
import { registerCaldavRoutes } from './caldav/index.js';
import { registerDriveRoutes } from './drive/index.js';
import { registerAutoconfigRoutes } from './autoconfig.js';

/** Register the routes of every area. */
export function registerRoutes(router: Router, services: Services): void {
  registerHealthRoutes(router);
  registerAuthRoutes(router, services);
  registerAdminUserRoutes(router, services);
  registerAliasRoutes(router, services);
  registerMailRoutes(router, services);
  registerWebmailRoutes(router, services);
  registerDocsRoutes(router, services);
  registerCaldavRoutes(router, services);
  registerDriveRoutes(router, services);
  registerAutoconfigRoutes(router, services);
}
