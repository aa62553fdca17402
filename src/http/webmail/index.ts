/**
 * The webmail: server-rendered HTML under /webmail/, built to be scraped (reference.md
 * "Webmail"). Every route is declared `auth: 'none'` and checks the session cookie itself
 * (web.ts `page`), every POST form carries the session's CSRF token, every page has a strict
 * CSP and only absolute links starting with config.public_url. Specific routes are registered
 * before the `/webmail/:folder...` catch-alls.
 */
import type { Router } from '../router.js';
import type { Services } from '../../services/index.js';
import { SessionManager } from './session.js';
import { SearchIndex } from './search.js';
import type { WebContext } from './web.js';
import { registerAssetRoutes } from './pages/assets.js';
import { registerLoginRoutes } from './pages/login.js';
import { registerRegisterRoutes } from './pages/register.js';
import { registerMailRoutes } from './pages/mail-routes.js';
import { registerCalendarRoutes } from './pages/calendar.js';
import { registerDriveRoutes } from './pages/drive.js';

/** Register every webmail route. */
export function registerWebmailRoutes(router: Router, services: Services): void {
  const ctx: WebContext = {
    services,
    sessions: new SessionManager(services.config),
    search: new SearchIndex(),
    get base() {
      return services.config.public_url;
    },
  };
  registerAssetRoutes(router);
  registerLoginRoutes(router, ctx);
  registerRegisterRoutes(router, ctx);
  registerCalendarRoutes(router, ctx);
  registerDriveRoutes(router, ctx);
  registerMailRoutes(router, ctx);
}
