import type { Context } from 'koa';
import type { FieldError } from '../../shared/errors.js';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
}

/** The RFC 9457 problem document; `code` is the stable field clients switch on. */
export function problemDocument(problem: Problem, requestId?: string): Record<string, unknown> {
  return {
    type: `urn:aligner-tracker:problem:${problem.code}`,
    title: problemTitle(problem.status),
    status: problem.status,
    detail: problem.detail,
    code: problem.code,
    ...(problem.errors ? { errors: problem.errors } : {}),
    request_id: requestId,
  };
}

export function problemTitle(status: number): string {
  return TITLES[status] ?? 'Error';
}

/** Writes a problem document as the response. */
export function sendProblem(ctx: Context, problem: Problem): void {
  ctx.status = problem.status;
  ctx.type = 'application/problem+json';
  ctx.body = problemDocument(problem, ctx.state.requestId as string | undefined);
}
