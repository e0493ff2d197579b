import type { WearSession } from './model.js';

/** A session as the app sees it: UTC instants with milliseconds (docs/conventions.md#json), no user id. */
export function presentSession(session: WearSession) {
  return {
    id: session.id,
    started_at: new Date(session.started_at).toISOString(),
    ended_at: session.ended_at ? new Date(session.ended_at).toISOString() : null,
    reason: session.reason,
    created_at: new Date(session.created_at).toISOString(),
    updated_at: new Date(session.updated_at).toISOString(),
  };
}
