import { contactDaysBetween } from '../users/contact-days.js';
import type { Knex } from 'knex';
import type { S3Storage } from '../shared/clients/s3.js';
import { AlignerChange } from '../treatment/aligner-change-model.js';
import { Image } from '../photos/model.js';
import { remindersOf } from '../reminders/repository.js';
import { TreatmentExtension } from '../treatment/extension-model.js';
import { Treatment } from '../treatment/model.js';
import type { User } from '../users/model.js';
import { WearSession } from '../wear/model.js';
import { todayIn } from '../shared/time/local-time.js';
import {
  currentDentist,
  presentChangeRequest,
  withDentist,
  type ChangeRequestRow,
} from '../dentists/present.js';
import { presentImage } from '../photos/present.js';
import { presentReminder } from '../reminders/routes.js';
import { readSettings } from '../users/settings.js';
import { presentAlignerChange, presentExtension, presentTreatment } from '../treatment/present.js';
import { presentProfile } from '../users/profile.js';
import { presentSession } from '../wear/present.js';

/**
 * Everything held about one user, in the shapes the API already uses (docs/resources.md#export:
 * `GET /export`, the UK/EU GDPR right of access and portability). Reads run in one
 * repeatable-read transaction, so the document is a consistent snapshot.
 */
export async function collectExport(knex: Knex, s3: S3Storage, user: User) {
  return knex.transaction(
    async (trx) => {
      const byUser = { user_id: user.id };
      // One after another: a transaction is one connection, and pg deprecates (and pg 9
      // removes) overlapping queries on one client; they would run in turn anyway.
      const treatment = await trx<Treatment>('treatments').where(byUser).first();
      const alignerChanges = await trx<AlignerChange>('aligner_changes')
        .where(byUser)
        .orderBy([{ column: 'changed_on' }, { column: 'created_at' }]);
      const extensions = await trx<TreatmentExtension>('treatment_extensions')
        .where(byUser)
        .orderBy('created_at');
      const settings = await readSettings(trx, user.id);
      const sessions = await trx<WearSession>('wear_sessions').where(byUser).orderBy('started_at');
      const images = await trx<Image>('images')
        .where(byUser)
        .where({ status: 'uploaded' })
        .orderBy('created_at');
      const reminders = await remindersOf(trx, user.id);
      const contactDays = await contactDaysBetween(trx, user.id, '0001-01-01', '9999-12-31');
      const hubspot = await trx('hubspot_contacts').where(byUser).first('contact_id', 'properties');
      const dentist = await currentDentist(trx, user.id);
      const requests = (await withDentist(trx)
        .where('r.user_id', user.id)
        .orderBy('r.created_at')) as ChangeRequestRow[];
      return {
        exported_at: new Date().toISOString(),
        profile: { ...presentProfile(user), dentist },
        dentist_change_requests: requests.map(presentChangeRequest),
        treatment: treatment ? presentTreatment(treatment, todayIn(user.timezone, new Date())) : null,
        aligner_changes: alignerChanges.map(presentAlignerChange),
        treatment_extensions: extensions.map(presentExtension),
        settings,
        wear_sessions: sessions.map(presentSession),
        app_contact_days: contactDays,
        images: await Promise.all(images.map((image) => presentImage(image, s3))),
        notifications: reminders.map(presentReminder),
        hubspot_contact: hubspot
          ? {
              contact_id: (hubspot as { contact_id: number }).contact_id,
              properties: (hubspot as { properties: unknown }).properties,
            }
          : null,
      };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}
