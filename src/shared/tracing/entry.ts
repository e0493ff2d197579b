import { tracingRequested } from './settings.js';

/**
 * What each process's `main.js` does first: start tracing when it is asked for, before
 * anything it instruments is loaded, then load the process itself. When it is not asked
 * for, not even the SDK is loaded.
 */
export async function startProcess(name: string, load: () => Promise<unknown>): Promise<void> {
  if (tracingRequested()) {
    const { startTracing } = await import('./start.js');
    await startTracing(name);
  }
  await load();
}
