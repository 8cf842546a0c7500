/**
 * An error the local cloud returns to a client, shaped so the AWS SDK raises the same typed
 * exception it would raise against AWS (`ResourceNotFoundException`, ...).
 */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Lambda's REST protocol also carries the fault kind ("User" or "Service"). */
    readonly fault: 'User' | 'Service' = status >= 500 ? 'Service' : 'User',
  ) {
    super(message);
    this.name = code;
  }
}

export const notFound = (message: string) => new AwsError('ResourceNotFoundException', message, 400);
export const invalidParameter = (message: string) => new AwsError('InvalidParameterException', message, 400);
export const invalidRequest = (message: string) => new AwsError('InvalidRequestException', message, 400);
export const resourceExists = (message: string) => new AwsError('ResourceExistsException', message, 400);
export const validation = (message: string) => new AwsError('ValidationException', message, 400);
