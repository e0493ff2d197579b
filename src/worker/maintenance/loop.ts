import { inRootSpan } from '../../shared/tracing/spans.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../../shared/logger.js';
import type { Metrics } from '../../shared/metrics.js';
import type { WorkerContext } from '../../shared/jobs/context.js';
import { errorMessage } from '../../shared/jobs/attempts.js';
import { claimRun, recordCompletion } from '../../shared/db/maintenance-runs.js';
import type { RedisLapse, RedisMemory } from './redis-memory.js';
import type { PeriodicTask } from './tasks.js';

/** How often each worker looks: Redis's lapses are noticed within this, tasks run on time within it. */
export const MAINTENANCE_TICK_MS = 5000;

/**
 * Drives the periodic tasks from a timer in every worker process, with the schedule in
 * Postgres (maintenance_runs): nothing about it lives only in Redis, so it cannot be
 * forgotten with Redis's data, and however many workers run, each period's run is
 * claimed by one (docs/decisions/008-periodic-work-in-postgres.md).
 */
export class MaintenanceLoop {
  /** Names this process in maintenance_runs.started_by. */
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private looked = false;

  constructor(
    private readonly context: WorkerContext,
    private readonly tasks: readonly PeriodicTask[],
    private readonly memory: RedisMemory,
    private readonly metrics: Metrics,
    private readonly tickMs = MAINTENANCE_TICK_MS,
  ) {}

  private get logger(): Logger {
    return this.context.logger;
  }

  start(): void {
    this.schedule(0);
  }

  /** Stops the clock and waits for a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One look: Redis's state, then each task that is due. Never throws. */
  async tick(): Promise<void> {
    const { redisAnswers, catchUp } = await this.lookAtRedis();
    for (const task of this.tasks) {
      if (this.stopped) return;
      if (task.needsRedis && !redisAnswers) continue;
      const forced = catchUp !== undefined && task.catchUp;
      try {
        const claim = await claimRun(this.context.knex, task.name, task.everyMs, this.id, forced);
        if (!claim) continue;
        await this.runTask(task, task.catchUp && (forced || claim.catchUp));
      } catch (error) {
        // Postgres away: the claim fails, and the task runs at the next look.
        this.metrics.maintenanceRuns.inc({ task: task.name, outcome: 'failed' });
        this.logger.warn({ task: task.name, err: errorMessage(error) }, 'periodic task failed');
      }
    }
  }

  private async lookAtRedis(): Promise<{ redisAnswers: boolean; catchUp?: RedisLapse | 'first_look' }> {
    let lapse: RedisLapse | undefined;
    try {
      lapse = await this.memory.check();
    } catch {
      return { redisAnswers: false }; // readiness says so; the sweep waits for Redis
    }
    if (!this.looked) {
      // A worker starting may follow an incident: it drives everything actionable once.
      this.looked = true;
      this.logger.info(
        { marker: lapse === 'data_lost' ? 'absent' : 'present' },
        'worker started: sweeping every actionable row once',
      );
      return { redisAnswers: true, catchUp: 'first_look' };
    }
    if (!lapse) return { redisAnswers: true };
    this.metrics.redisLapses.inc({ lapse });
    if (lapse === 'data_lost')
      this.logger.warn(
        'Redis lost its data (its queue marker is gone): sweeping every actionable row now; see the runbook',
      );
    else this.logger.info('the Redis connection came back: sweeping every actionable row now');
    return { redisAnswers: true, catchUp: lapse };
  }

  private async runTask(task: PeriodicTask, catchUp: boolean): Promise<void> {
    const started = process.hrtime.bigint();
    const result = await inRootSpan(`maintenance ${task.name}`, () => task.run(this.context, { catchUp }));
    await recordCompletion(this.context.knex, task.name, this.id);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics.maintenanceRuns.inc({ task: task.name, outcome: 'completed' });
    this.metrics.maintenanceLastCompleted.set({ task: task.name }, Date.now() / 1000);
    const changed = Object.values(result).some((count) => count > 0);
    const fields = { task: task.name, catch_up: catchUp, ms: Math.round(seconds * 1000), ...result };
    if (changed) this.logger.info(fields, 'periodic task completed');
    else this.logger.debug(fields, 'periodic task completed');
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        this.schedule(this.tickMs);
      });
    }, delayMs);
    this.timer.unref();
  }
}
