import type { AnyRoute } from '../route.js';
import { dentistRoutes } from './dentists/routes.js';
import { withDocs } from './docs.js';
import { exportRoutes } from './export/routes.js';
import { healthRoutes } from './health.js';
import { hubspotRoutes } from './hubspot/routes.js';
import { internalDentistAssignmentRoutes } from './internal/dentist-assignment.js';
import { internalDentistRoutes } from './internal/dentists.js';
import { internalHubspotRoutes } from './internal/hubspot-events.js';
import { internalTreatmentRoutes } from './internal/treatment-by-email.js';
import { imageRoutes } from './images/routes.js';
import { internalUserRoutes } from './internal/users.js';
import { notificationRoutes } from './notifications/routes.js';
import { settingsRoutes } from './settings/routes.js';
import { treatmentRoutes } from './treatment/routes.js';
import { userRoutes } from './users/routes.js';
import { wearRoutes } from './wear/routes.js';

/**
 * The route table: every endpoint of the API, in the order they are matched, then
 * /openapi.json and /docs, whose document is built from it (once, here).
 */
export const routes: readonly AnyRoute[] = withDocs([
  ...healthRoutes,
  ...userRoutes,
  ...exportRoutes,
  ...treatmentRoutes,
  ...settingsRoutes,
  ...notificationRoutes,
  ...imageRoutes,
  ...wearRoutes,
  ...dentistRoutes,
  ...internalUserRoutes,
  ...internalDentistRoutes,
  ...internalDentistAssignmentRoutes,
  ...internalTreatmentRoutes,
  ...internalHubspotRoutes,
  ...hubspotRoutes,
]);
