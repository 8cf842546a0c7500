import { StateMachine } from 'aws-local-stepfunctions';
import { AwsError } from '../../errors.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One state of an Amazon States Language definition (JSONPath dialect), as far as the engine reads it. */
export interface StateDefinition {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  Parameters?: Json;
  InputPath?: string | null;
  ResultPath?: string | null;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  Choices?: Array<{ Next: string } & Record<string, unknown>>;
  Default?: string;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Branches?: MachineDefinition[];
  Iterator?: MachineDefinition;
  ItemProcessor?: MachineDefinition;
  [other: string]: unknown;
}

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

export interface MachineDefinition {
  StartAt: string;
  States: Record<string, StateDefinition>;
  TimeoutSeconds?: number;
  QueryLanguage?: string;
  Comment?: string;
  Version?: string;
}

const invalid = (why: string) => new AwsError('InvalidDefinition', `Invalid State Machine Definition: '${why}'`);

/** Fields of the JSONata dialect and of variables: the engine would silently ignore them and run something else. */
const UNSUPPORTED_FIELDS = ['Assign', 'Arguments', 'Output', 'Items'];

function refuseUnsupported(definition: MachineDefinition, where: string): void {
  if (definition.QueryLanguage !== undefined && definition.QueryLanguage !== 'JSONPath') {
    throw invalid(`UNSUPPORTED_FEATURE: the local cloud runs JSONPath definitions only (QueryLanguage ${String(definition.QueryLanguage)} at ${where || '/'})`);
  }
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    const at = `${where}/States/${name}`;
    if (state.QueryLanguage !== undefined && state.QueryLanguage !== 'JSONPath') {
      throw invalid(`UNSUPPORTED_FEATURE: the local cloud runs JSONPath definitions only (QueryLanguage at ${at})`);
    }
    const field = UNSUPPORTED_FIELDS.find((f) => f in state);
    if (field) throw invalid(`UNSUPPORTED_FEATURE: the local cloud does not run ${field} (JSONata or variables) at ${at}`);
    state.Branches?.forEach((branch, i) => refuseUnsupported(branch, `${at}/Branches/${i}`));
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) refuseUnsupported(processor, `${at}/ItemProcessor`);
  }
}

/**
 * Parses and validates a definition as CreateStateMachine does (`InvalidDefinition` with the
 * validator's reasons), refusing what the local engine cannot run faithfully.
 */
export function parseDefinition(text: string): MachineDefinition {
  const known = validated.get(text);
  if (known) return structuredClone(known);
  const definition = validate(text);
  // The validator compiles its schemas on every call (hundreds of ms): remember definitions it accepted.
  if (validated.size >= 100) validated.delete(validated.keys().next().value!);
  validated.set(text, definition);
  return structuredClone(definition);
}

const validated = new Map<string, MachineDefinition>();

function validate(text: string): MachineDefinition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid(`INVALID_JSON_DESCRIPTION: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('SCHEMA_VALIDATION_FAILED: the definition must be a JSON object');
  try {
    new StateMachine(parsed as never, { validationOptions: { checkArn: true, checkPaths: true } });
  } catch (err) {
    const reasons = (err as Error).message.replace(/^State machine definition is invalid, see error\(s\) below:\s*/, '').trim();
    throw invalid(reasons.split('\n').map((line) => line.trim()).filter(Boolean).join(', '));
  }
  const definition = parsed as MachineDefinition;
  refuseUnsupported(definition, '');
  return definition;
}

/** Every Task state's name inside Parallel branches and Map processors (they run inside one step). */
export function nestedTaskNames(state: StateDefinition): string[] {
  const inner = [...(state.Branches ?? []), ...[state.ItemProcessor ?? state.Iterator].filter((d): d is MachineDefinition => d !== undefined)];
  return inner.flatMap((definition) =>
    Object.entries(definition.States).flatMap(([name, s]) => (s.Type === 'Task' ? [name] : []).concat(nestedTaskNames(s))),
  );
}
