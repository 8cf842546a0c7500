import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { AwsError } from '../../errors.ts';
import { compact, epochSeconds, parseInput } from '../../validation.ts';
import { parseDefinition, type MachineDefinition } from './definition.ts';
import type { StatesEngine } from './engine.ts';
import { renderEvent } from './history.ts';
import type { ExecutionState, MachineRecord } from './model.ts';

/**
 * The Step Functions API (JSON 1.0, target prefix `AWSStepFunctions`) over a StatesEngine: input
 * shapes, the errors AWS documents for each operation, and answers in AWS's shapes. Every write
 * is durable before the operation resolves.
 */

const MAX_DATA = 262_144;
const ARN = z.string().min(1).max(256);
const MACHINE_ARN = /^arn:aws[\w-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([^:]+)$/;
const EXECUTION_ARN = /^arn:aws[\w-]*:states:([a-z0-9-]+):(\d{12}):execution:([^:]+):([^:]+)$/;
const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/.+$/;
/** Names may not hold whitespace, brackets, wildcards, these specials or control characters. */
const FORBIDDEN_IN_NAMES = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const isControl = (c: string) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f);

const logging = z.object({ level: z.enum(['ALL', 'ERROR', 'FATAL', 'OFF']).optional(), includeExecutionData: z.boolean().optional(), destinations: z.array(z.unknown()).optional() }).optional();
const tracing = z.object({ enabled: z.boolean().optional() }).optional();

const shapes = {
  CreateStateMachine: z.object({
    name: z.string().min(1).max(80),
    definition: z.string().min(1).max(1_048_576),
    roleArn: ARN,
    type: z.enum(['STANDARD', 'EXPRESS']).optional(),
    loggingConfiguration: logging,
    tracingConfiguration: tracing,
    tags: z.array(z.object({ key: z.string().min(1).max(128), value: z.string().max(256) })).optional(),
    publish: z.boolean().optional(),
    versionDescription: z.string().optional(),
  }),
  UpdateStateMachine: z.object({ stateMachineArn: ARN, definition: z.string().min(1).max(1_048_576).optional(), roleArn: ARN.optional(), loggingConfiguration: logging, tracingConfiguration: tracing }),
  MachineArn: z.object({ stateMachineArn: ARN }),
  ListStateMachines: z.object({ maxResults: z.number().int().min(0).max(1000).optional(), nextToken: z.string().min(1).max(1024).optional() }),
  StartExecution: z.object({ stateMachineArn: ARN, name: z.string().min(1).max(80).optional(), input: z.string().max(MAX_DATA).optional(), traceHeader: z.string().max(256).optional() }),
  ExecutionArn: z.object({ executionArn: ARN }),
  ListExecutions: z.object({
    stateMachineArn: ARN.optional(),
    statusFilter: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']).optional(),
    maxResults: z.number().int().min(0).max(1000).optional(),
    nextToken: z.string().min(1).max(3096).optional(),
    mapRunArn: z.string().optional(),
  }),
  StopExecution: z.object({ executionArn: ARN, error: z.string().max(256).optional(), cause: z.string().max(32_768).optional() }),
  GetExecutionHistory: z.object({
    executionArn: ARN,
    maxResults: z.number().int().min(0).max(1000).optional(),
    reverseOrder: z.boolean().optional(),
    nextToken: z.string().min(1).max(1024).optional(),
    includeExecutionData: z.boolean().optional(),
  }),
  SendTaskSuccess: z.object({ taskToken: z.string().min(1).max(1024), output: z.string().max(MAX_DATA) }),
  SendTaskFailure: z.object({ taskToken: z.string().min(1).max(1024), error: z.string().max(256).optional(), cause: z.string().max(32_768).optional() }),
  SendTaskHeartbeat: z.object({ taskToken: z.string().min(1).max(1024) }),
};

const invalidArn = (arn: string) => new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);

function checkName(name: string): void {
  if (FORBIDDEN_IN_NAMES.test(name) || [...name].some(isControl)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Opaque page tokens: the position after the last item returned (an ordinal that never shifts). */
function encodePosition(position: number): string {
  return Buffer.from(JSON.stringify({ after: position })).toString('base64url');
}

function decodePosition(token: string | undefined): number | undefined {
  if (token === undefined) return undefined;
  try {
    const { after } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof after === 'number' && Number.isInteger(after)) return after;
  } catch {
    // answered below
  }
  throw new AwsError('InvalidToken', `Invalid Token: '${token}'`);
}

function page<T>(items: T[], position: (item: T) => number, maxResults: number | undefined, token: string | undefined, descending: boolean): { items: T[]; nextToken?: string } {
  const after = decodePosition(token);
  const remaining = after === undefined ? items : items.filter((item) => (descending ? position(item) < after : position(item) > after));
  const size = maxResults || 100;
  const slice = remaining.slice(0, size);
  return { items: slice, nextToken: remaining.length > size ? encodePosition(position(slice.at(-1)!)) : undefined };
}

export class StepFunctionsService {
  constructor(private readonly engine: StatesEngine) {}

  private get model() {
    return this.engine.model;
  }

  machineArn(name: string): string {
    return `arn:aws:states:${this.engine.region}:${this.engine.account}:stateMachine:${name}`;
  }

  private machine(arn: string): MachineRecord {
    if (!MACHINE_ARN.test(arn)) throw invalidArn(arn);
    const machine = this.model.machines.get(arn);
    if (!machine) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private execution(arn: string): ExecutionState {
    if (!EXECUTION_ARN.test(arn)) throw invalidArn(arn);
    const execution = this.model.executions.get(arn);
    if (!execution) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  operations(): Record<string, (input: unknown) => Promise<unknown>> {
    return {
      CreateStateMachine: async (raw) => {
        const input = parseInput(shapes.CreateStateMachine, raw);
        checkName(input.name);
        if (!ROLE_ARN.test(input.roleArn)) throw invalidArn(input.roleArn);
        if (input.type === 'EXPRESS') throw new AwsError('StateMachineTypeNotSupported', 'The local cloud runs STANDARD state machines only.');
        parseDefinition(input.definition);
        const arn = this.machineArn(input.name);
        const existing = this.model.machines.get(arn);
        if (existing) {
          if (existing.status === 'DELETING') throw new AwsError('StateMachineDeleting', `State Machine Is Being Deleted: '${arn}'`);
          // Idempotent on what defines the machine; another role or tags do not make it a different one.
          const same =
            existing.definition === input.definition &&
            isDeepStrictEqual(existing.loggingConfiguration, input.loggingConfiguration) &&
            isDeepStrictEqual(existing.tracingConfiguration, input.tracingConfiguration);
          if (!same) throw new AwsError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
          return { stateMachineArn: arn, creationDate: epochSeconds(existing.creationDate) };
        }
        const machine: MachineRecord = compact({
          arn,
          name: input.name,
          definition: input.definition,
          roleArn: input.roleArn,
          type: 'STANDARD' as const,
          status: 'ACTIVE' as const,
          creationDate: this.engine.clock.now(),
          loggingConfiguration: input.loggingConfiguration,
          tracingConfiguration: input.tracingConfiguration,
          tags: input.tags,
        }) as MachineRecord;
        await this.engine.write({ kind: 'machine', machine });
        return { stateMachineArn: arn, creationDate: epochSeconds(machine.creationDate) };
      },

      UpdateStateMachine: async (raw) => {
        const input = parseInput(shapes.UpdateStateMachine, raw);
        if (input.definition === undefined && input.roleArn === undefined && input.loggingConfiguration === undefined && input.tracingConfiguration === undefined) {
          throw new AwsError('MissingRequiredParameter', 'Either the definition, the roleArn, the loggingConfiguration or the tracingConfiguration must be specified.');
        }
        const machine = this.machine(input.stateMachineArn);
        if (machine.status === 'DELETING') throw new AwsError('StateMachineDeleting', `State Machine Is Being Deleted: '${machine.arn}'`);
        if (input.definition !== undefined) parseDefinition(input.definition);
        if (input.roleArn !== undefined && !ROLE_ARN.test(input.roleArn)) throw invalidArn(input.roleArn);
        const updated: MachineRecord = compact({
          ...machine,
          definition: input.definition ?? machine.definition,
          roleArn: input.roleArn ?? machine.roleArn,
          loggingConfiguration: input.loggingConfiguration ?? machine.loggingConfiguration,
          tracingConfiguration: input.tracingConfiguration ?? machine.tracingConfiguration,
          updateDate: this.engine.clock.now(),
        }) as MachineRecord;
        await this.engine.write({ kind: 'machine', machine: updated });
        return { updateDate: epochSeconds(updated.updateDate) };
      },

      DescribeStateMachine: async (raw) => {
        const machine = this.machine(parseInput(shapes.MachineArn, raw).stateMachineArn);
        return compact({
          stateMachineArn: machine.arn,
          name: machine.name,
          status: machine.status,
          definition: machine.definition,
          roleArn: machine.roleArn,
          type: machine.type,
          creationDate: epochSeconds(machine.creationDate),
          loggingConfiguration: machine.loggingConfiguration ?? { level: 'OFF', includeExecutionData: false },
          tracingConfiguration: machine.tracingConfiguration ?? { enabled: false },
        });
      },

      ListStateMachines: async (raw) => {
        const input = parseInput(shapes.ListStateMachines, raw);
        const machines = [...this.model.machines.values()].sort((a, b) => a.creationDate - b.creationDate || a.name.localeCompare(b.name));
        const ordinal = new Map(machines.map((m, i) => [m.arn, i]));
        const { items, nextToken } = page(machines, (m) => ordinal.get(m.arn)!, input.maxResults, input.nextToken, false);
        return compact({
          stateMachines: items.map((m) => ({ stateMachineArn: m.arn, name: m.name, type: m.type, creationDate: epochSeconds(m.creationDate) })),
          nextToken,
        });
      },

      DeleteStateMachine: async (raw) => {
        const arn = parseInput(shapes.MachineArn, raw).stateMachineArn;
        if (!MACHINE_ARN.test(arn)) throw invalidArn(arn);
        const machine = this.model.machines.get(arn);
        if (machine) await this.engine.deleteMachine(machine);
        return {};
      },

      StartExecution: async (raw) => {
        const input = parseInput(shapes.StartExecution, raw);
        const machine = this.machine(input.stateMachineArn);
        if (machine.status === 'DELETING') throw new AwsError('StateMachineDeleting', `State Machine Is Being Deleted: '${machine.arn}'`);
        const name = input.name ?? randomUUID();
        checkName(name);
        const executionInput = input.input ?? '{}';
        if (!isJson(executionInput)) throw new AwsError('InvalidExecutionInput', "Invalid State Machine Execution Input: 'the input is not valid JSON'");
        const arn = `arn:aws:states:${this.engine.region}:${this.engine.account}:execution:${machine.name}:${name}`;
        const existing = this.model.executions.get(arn);
        if (existing) {
          // The same name and input while it runs is the same request again; anything else is a conflict.
          if (existing.status === 'RUNNING' && existing.input === executionInput) return { executionArn: arn, startDate: epochSeconds(existing.startDate) };
          throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
        }
        const execution = await this.engine.startExecution(
          { arn, name, machineArn: machine.arn, machineName: machine.name, roleArn: machine.roleArn, definition: machine.definition, input: executionInput, startDate: this.engine.clock.now() },
          JSON.parse(machine.definition) as MachineDefinition,
        );
        return { executionArn: arn, startDate: epochSeconds(execution.startDate) };
      },

      DescribeExecution: async (raw) => {
        const execution = this.execution(parseInput(shapes.ExecutionArn, raw).executionArn);
        return compact({
          executionArn: execution.arn,
          stateMachineArn: execution.machineArn,
          name: execution.name,
          status: execution.status,
          startDate: epochSeconds(execution.startDate),
          stopDate: epochSeconds(execution.stopDate),
          input: execution.input,
          inputDetails: { included: true },
          output: execution.output,
          outputDetails: execution.output !== undefined ? { included: true } : undefined,
          error: execution.error,
          cause: execution.cause,
        });
      },

      ListExecutions: async (raw) => {
        const input = parseInput(shapes.ListExecutions, raw);
        if (input.stateMachineArn === undefined) {
          throw new AwsError('ValidationException', input.mapRunArn ? 'The local cloud has no Map Runs.' : 'Must specify a StateMachineArn or a MapRunArn.');
        }
        const machine = this.machine(input.stateMachineArn);
        const executions = [...this.model.executions.values()]
          .filter((e) => e.machineArn === machine.arn && (input.statusFilter === undefined || e.status === input.statusFilter))
          .sort((a, b) => b.seq - a.seq);
        const { items, nextToken } = page(executions, (e) => e.seq, input.maxResults, input.nextToken, true);
        return compact({
          executions: items.map((e) =>
            compact({ executionArn: e.arn, stateMachineArn: e.machineArn, name: e.name, status: e.status, startDate: epochSeconds(e.startDate), stopDate: epochSeconds(e.stopDate) }),
          ),
          nextToken,
        });
      },

      StopExecution: async (raw) => {
        const input = parseInput(shapes.StopExecution, raw);
        const execution = this.execution(input.executionArn);
        await this.engine.stopExecution(execution, input.error, input.cause);
        return { stopDate: epochSeconds(execution.stopDate) };
      },

      GetExecutionHistory: async (raw) => {
        const input = parseInput(shapes.GetExecutionHistory, raw);
        const execution = this.execution(input.executionArn);
        const events = input.reverseOrder ? [...execution.events].reverse() : execution.events;
        const { items, nextToken } = page(events, (e) => e.id, input.maxResults, input.nextToken, input.reverseOrder ?? false);
        return compact({ events: items.map((e) => renderEvent(e, input.includeExecutionData ?? true)), nextToken });
      },

      SendTaskSuccess: async (raw) => {
        const input = parseInput(shapes.SendTaskSuccess, raw);
        if (!isJson(input.output)) throw new AwsError('InvalidOutput', "Invalid Output: 'the output is not valid JSON'");
        await this.engine.sendTaskSuccess(input.taskToken, input.output);
        return {};
      },

      SendTaskFailure: async (raw) => {
        const input = parseInput(shapes.SendTaskFailure, raw);
        await this.engine.sendTaskFailure(input.taskToken, input.error, input.cause);
        return {};
      },

      SendTaskHeartbeat: async (raw) => {
        await this.engine.sendTaskHeartbeat(parseInput(shapes.SendTaskHeartbeat, raw).taskToken);
        return {};
      },
    };
  }
}
