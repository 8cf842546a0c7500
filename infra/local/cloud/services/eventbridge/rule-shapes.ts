import { z } from 'zod';

/**
 * The inputs of EventBridge's rule and target operations as AWS validates them, and what this
 * cloud can deliver to: which targets PutTargets accepts, and why it refuses one.
 */

const NAME = z.string().min(1).max(64).regex(/^[.\-_A-Za-z0-9]+$/, 'Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+');
const BUS = z.string().min(1).max(1600).optional();

export const targetShape = z.object({
  Id: NAME,
  Arn: z.string().min(1).max(1600),
  RoleArn: z.string().min(1).max(1600).optional(),
  Input: z.string().max(8192).optional(),
  InputPath: z.string().max(256).optional(),
  InputTransformer: z.object({ InputPathsMap: z.record(z.string(), z.string()).optional(), InputTemplate: z.string().min(1).max(8192) }).optional(),
  DeadLetterConfig: z.object({ Arn: z.string().optional() }).optional(),
  RetryPolicy: z.object({ MaximumRetryAttempts: z.number().int().min(0).max(185).optional(), MaximumEventAgeInSeconds: z.number().int().min(60).max(86_400).optional() }).optional(),
});

export const ruleShapes = {
  PutRule: z.object({
    Name: NAME,
    EventBusName: BUS,
    EventPattern: z.string().max(4096).optional(),
    ScheduleExpression: z.string().max(256).optional(),
    State: z.enum(['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']).optional(),
    Description: z.string().max(512).optional(),
    RoleArn: z.string().min(1).max(1600).optional(),
    Tags: z.array(z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) })).optional(),
  }),
  RuleName: z.object({ Name: NAME, EventBusName: BUS, Force: z.boolean().optional() }),
  ListRules: z.object({ NamePrefix: NAME.optional(), EventBusName: BUS, NextToken: z.string().min(1).max(2048).optional(), Limit: z.number().int().min(1).max(100).optional() }),
  PutTargets: z.object({ Rule: NAME, EventBusName: BUS, Targets: z.array(targetShape).min(1).max(100) }),
  RemoveTargets: z.object({ Rule: NAME, EventBusName: BUS, Ids: z.array(NAME).min(1).max(100), Force: z.boolean().optional() }),
  ListTargetsByRule: z.object({ Rule: NAME, EventBusName: BUS, NextToken: z.string().min(1).max(2048).optional(), Limit: z.number().int().min(1).max(100).optional() }),
  TestEventPattern: z.object({ EventPattern: z.string().max(4096), Event: z.string() }),
};

const FUNCTION_TARGET = /^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$/;
const MACHINE_TARGET = /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
export const BUS_ARN = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/([/.\-_A-Za-z0-9]+)$/;

export type TargetKind = 'lambda' | 'state-machine' | 'event-bus';

export function targetKind(arn: string): TargetKind | undefined {
  if (FUNCTION_TARGET.test(arn)) return 'lambda';
  if (MACHINE_TARGET.test(arn)) return 'state-machine';
  if (BUS_ARN.test(arn)) return 'event-bus';
  return undefined;
}

/** Why PutTargets refuses this target of a rule on `ruleBus` in `home` (undefined: it is fine). */
export function targetProblem(t: z.infer<typeof targetShape>, ruleBus: string, home: { account: string; region: string }): string | undefined {
  const kind = targetKind(t.Arn);
  if (!kind) return `The local cloud delivers to Lambda functions, Step Functions state machines and event buses; ${t.Arn} is none of them.`;
  if ([t.Input, t.InputPath, t.InputTransformer].filter((v) => v !== undefined).length > 1) return 'Only one of Input, InputPath, or InputTransformer must be provided.';
  if (t.Input !== undefined) {
    try {
      JSON.parse(t.Input);
    } catch {
      return 'Input is not valid JSON text.';
    }
  }
  if (t.InputPath !== undefined && !t.InputPath.startsWith('$')) return 'InputPath must be a JSONPath starting with $.';
  const paths = Object.entries(t.InputTransformer?.InputPathsMap ?? {});
  if (paths.some(([key, path]) => key.startsWith('aws.') || !path.startsWith('$'))) return 'InputPathsMap keys cannot start with "aws." and its values must be JSONPaths starting with $.';
  if (kind === 'state-machine' && !t.RoleArn) return `RoleArn is required for target ${t.Arn}.`;
  if (kind === 'event-bus') {
    const [, region, account, name] = BUS_ARN.exec(t.Arn)!;
    if (account !== home.account && (t.Input ?? t.InputPath ?? t.InputTransformer) !== undefined) {
      return 'Input, InputPath and InputTransformer are not available for an event bus of another account.';
    }
    if (account === home.account && region === home.region && name === ruleBus) return 'A rule cannot send events back to its own event bus.';
  }
  return undefined;
}
