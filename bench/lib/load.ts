import type { Result } from 'autocannon';
import { fileURLToPath } from 'node:url';
import type { LoadSpec } from '../request-plans.js';
import { runToCompletion, tsxCommand } from './processes.js';

const LOAD_WORKER = fileURLToPath(new URL('../load-worker.ts', import.meta.url));

/**
 * Runs one load process (load-worker.ts) to completion: autocannon with `spec`, in a
 * process of its own. `onStarted` is called when it starts the clock (after start-up and
 * token minting), so CPU accounting can start there too.
 */
export async function runLoad(
  spec: LoadSpec,
  onStarted?: () => void,
): Promise<{ result: Result; loadCpuSeconds: number | undefined }> {
  const { command, args } = tsxCommand(LOAD_WORKER);
  const output = await runToCompletion(command, args, {
    input: JSON.stringify(spec),
    timeoutMs: (spec.durationSeconds + 60) * 1000,
    onStdoutLine: (line) => {
      if (line.startsWith('{"started"')) onStarted?.();
    },
  });
  const lines = output.trim().split('\n');
  const parsed = JSON.parse(lines[lines.length - 1]!) as Result & { loadProcess?: { cpuSeconds: number } };
  return { result: parsed, loadCpuSeconds: parsed.loadProcess?.cpuSeconds };
}
