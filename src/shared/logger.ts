import { pino, type Logger, type LoggerOptions } from 'pino';
import type { Config } from './config.js';
import { redactText } from './redaction.js';
import { currentContext } from './request-context.js';
import { traceLogFields } from './tracing/log-fields.js';

export type { Logger };

/**
 * Paths redacted when LOG_REDACT_SENSITIVE=true: credentials in headers, and the
 * personal data a request or job may log (docs/operations.md#logs). URLs are scrubbed where they
 * are logged (redaction.ts), since pino redacts by path, not by content.
 */
const SENSITIVE_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-hubspot-signature-v3"]',
  'req.headers["x-hubspot-signature"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'authorization',
  'apiKey',
  'token',
  'password',
  'email',
  'first_name',
  'last_name',
  'firstname',
  'lastname',
  '*.authorization',
  '*.apiKey',
  '*.token',
  '*.password',
  '*.email',
  '*.first_name',
  '*.last_name',
  '*.firstname',
  '*.lastname',
];

/**
 * Errors logged with redaction on: Postgres' `detail` ("Failing row contains (…)") and
 * similar fields quote row values, so they are dropped, and emails and JWTs are masked
 * in the message and stack.
 */
function redactedError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const {
    detail: _detail,
    where: _where,
    internalQuery: _query,
    parameters: _parameters,
    ...serialized
  } = pino.stdSerializers.err(error) as Record<string, unknown>;
  for (const key of ['message', 'stack'] as const) {
    if (typeof serialized[key] === 'string') serialized[key] = redactText(serialized[key]);
  }
  return serialized;
}

export function createLogger(
  config: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT' | 'LOG_REDACT_SENSITIVE'>,
  options: { name: string; destination?: pino.DestinationStream },
): Logger {
  const pinoOptions: LoggerOptions = {
    level: config.LOG_LEVEL,
    base: { service: options.name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: config.LOG_REDACT_SENSITIVE ? { paths: SENSITIVE_PATHS, censor: '[redacted]' } : [],
    // Every line written while a request or job runs carries its request id, and its
    // trace when tracing is on.
    mixin: () => {
      const context = currentContext();
      const trace = traceLogFields();
      if (!context) return trace ?? {};
      return trace ? { request_id: context.requestId, ...trace } : { request_id: context.requestId };
    },
    formatters: { level: (label) => ({ level: label }) },
    ...(config.LOG_REDACT_SENSITIVE ? { serializers: { err: redactedError } } : {}),
  };
  if (options.destination) return pino(pinoOptions, options.destination);
  if (config.LOG_FORMAT === 'pretty') {
    return pino({
      ...pinoOptions,
      transport: {
        target: 'pino-pretty',
        options: {
          colorize: true,
          singleLine: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,service',
          messageFormat: '[{service}] {msg}',
        },
      },
    });
  }
  return pino(pinoOptions);
}
