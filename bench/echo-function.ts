/** The bench's Lambda function: loaded by the local cloud itself (a module function), so no HTTP hop is measured. */
export const handler = async (event: unknown): Promise<unknown> => ({ echoed: event });
