import type { AnyRoute } from '../route.js';
import { dentistRoutes } from '../../dentists/routes.js';
import { withDocs } from './docs.js';
import { exportRoutes } from '../../accounts/routes.js';
import { healthRoutes } from './health.js';
import { hubspotRoutes } from '../../hubspot/routes.js';
import { internalDentistAssignmentRoutes } from '../../dentists/internal-assignment-routes.js';
import { internalAdherenceRoutes } from '../../adherence/routes.js';
import { internalDentistRoutes } from '../../dentists/internal-routes.js';
import { internalHubspotRoutes } from '../../hubspot/internal-routes.js';
import { internalTreatmentRoutes } from '../../treatment/internal-routes.js';
import { imageRoutes } from '../../photos/routes.js';
import { internalUserRoutes } from '../../users/internal-routes.js';
import { notificationRoutes } from '../../reminders/routes.js';
import { settingsRoutes } from '../../users/settings-routes.js';
import { treatmentRoutes } from '../../treatment/routes.js';
import { userRoutes } from '../../users/routes.js';
import { wearRoutes } from '../../wear/routes.js';

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
  ...internalAdherenceRoutes,
  ...internalHubspotRoutes,
  ...hubspotRoutes,
]);
