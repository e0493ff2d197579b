import type { AnyRoute } from '../route.js';
import { exportRoutes } from './export/routes.js';
import { healthRoutes } from './health.js';
import { hubspotRoutes } from './hubspot/routes.js';
import { internalHubspotRoutes } from './internal/hubspot-events.js';
import { imageRoutes } from './images/routes.js';
import { internalUserRoutes } from './internal/users.js';
import { notificationRoutes } from './notifications/routes.js';
import { settingsRoutes } from './settings/routes.js';
import { treatmentRoutes } from './treatment/routes.js';
import { userRoutes } from './users/routes.js';
import { wearRoutes } from './wear/routes.js';

/** The route table: every endpoint of the API, in the order they are matched. */
export const routes: readonly AnyRoute[] = [
  ...healthRoutes,
  ...userRoutes,
  ...exportRoutes,
  ...treatmentRoutes,
  ...settingsRoutes,
  ...notificationRoutes,
  ...imageRoutes,
  ...wearRoutes,
  ...internalUserRoutes,
  ...internalHubspotRoutes,
  ...hubspotRoutes,
];
