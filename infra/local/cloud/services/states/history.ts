import type { Json } from './definition.ts';

/**
 * One event of an execution's history, as GetExecutionHistory returns it (the timestamp kept in
 * epoch milliseconds until it is answered). `details` goes out under the member AWS names for the
 * type (`stateEnteredEventDetails`, `taskScheduledEventDetails`, ...).
 */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  details?: Record<string, unknown>;
}

export type EventDraft = Omit<HistoryEvent, 'id' | 'previousEventId' | 'timestamp'>;

export const dataDetails = { truncated: false };

/** JSON text of a value, as history and DescribeExecution carry state data. */
export const text = (value: Json | undefined): string => JSON.stringify(value ?? null);

export function detailsMember(type: string): string | undefined {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  if (type === 'LambdaFunctionStarted') return undefined;
  return `${type[0]!.toLowerCase()}${type.slice(1)}EventDetails`;
}

const DATA_FIELDS = ['input', 'output', 'parameters'];

/** The event in the API's shape; without execution data when the caller asked for none. */
export function renderEvent(event: HistoryEvent, includeExecutionData = true): Record<string, unknown> {
  const rendered: Record<string, unknown> = { timestamp: event.timestamp / 1000, type: event.type, id: event.id, previousEventId: event.previousEventId };
  const member = detailsMember(event.type);
  if (member && event.details) {
    rendered[member] = includeExecutionData ? event.details : Object.fromEntries(Object.entries(event.details).filter(([key]) => !DATA_FIELDS.includes(key)));
  }
  return rendered;
}

export const stateEntered = (type: string, name: string, input: Json): EventDraft => ({
  type: `${type}StateEntered`,
  details: { name, input: text(input), inputDetails: dataDetails },
});

export const stateExited = (type: string, name: string, output: Json): EventDraft => ({
  type: `${type}StateExited`,
  details: { name, output: text(output), outputDetails: dataDetails },
});

export const failureDetails = (error: string | undefined, cause: string | undefined) =>
  Object.fromEntries(Object.entries({ error, cause }).filter(([, v]) => v !== undefined)) as { error?: string; cause?: string };
