/**
 * Whether this process traces: only when the standard OpenTelemetry variables ask for it
 * (docs/operations.md#tracing). An OTLP endpoint, or an explicit `OTEL_TRACES_EXPORTER`
 * other than `none`, turns it on; `OTEL_SDK_DISABLED=true` turns it off whatever else is
 * set. Off means no SDK, no instrumentation and no trace context in jobs: nothing to pay.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter) return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}
