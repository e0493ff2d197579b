import { z } from 'zod';

/**
 * The RFC 9457 problem document every error is answered with (docs/conventions.md#errors), as written by
 * `sendProblem`; described here once for the OpenAPI document.
 */
export const problemSchema = z
  .object({
    type: z.string().describe('urn:aligner-tracker:problem:{code}'),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string(),
    code: z.string().describe('Stable snake_case code clients switch on, e.g. validation_failed'),
    errors: z
      .array(
        z.object({
          path: z.string().describe('Where the bad value was, e.g. body.reminder_time'),
          message: z.string(),
        }),
      )
      .optional()
      .describe('Each invalid field, for validation_failed'),
    request_id: z.string().optional().describe('The x-request-id of the request, for support'),
  })
  .describe('An RFC 9457 problem document');
