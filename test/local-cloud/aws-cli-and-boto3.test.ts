import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { uniqueName } from '../support/aws-clients.ts';
import { eventually } from '../support/eventually.ts';

// Debian's awscli and python3-boto3 (installed by .ci/run): real clients other than the JS SDK.
const AWS_CLI = '/usr/bin/aws';
const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);
const url = inject('cloudUrl');
const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_PAGER: '',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
};

async function aws(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(AWS_CLI, ['--endpoint-url', url, '--output', 'json', ...args], { env });
  return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
}

describe('the aws CLI', () => {
  it('manages a secret end to end', async () => {
    expect(await aws('sts', 'get-caller-identity')).toMatchObject({ Account: '000000000000' });
    const name = uniqueName('cli');
    const created = await aws('secretsmanager', 'create-secret', '--name', name, '--secret-string', '{"password":"one"}', '--tags', 'Key=team,Value=cli');
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:/);
    await aws('secretsmanager', 'put-secret-value', '--secret-id', name, '--secret-string', '{"password":"two"}');
    expect(await aws('secretsmanager', 'get-secret-value', '--secret-id', name)).toMatchObject({ SecretString: '{"password":"two"}', VersionStages: ['AWSCURRENT'] });
    expect(await aws('secretsmanager', 'get-secret-value', '--secret-id', name, '--version-stage', 'AWSPREVIOUS')).toMatchObject({ SecretString: '{"password":"one"}' });
    const listed = await aws('secretsmanager', 'list-secrets', '--filters', `Key=name,Values=${name}`);
    expect((listed.SecretList as Array<{ Name: string; Tags: unknown }>).map((s) => s.Name)).toEqual([name]);
    const versions = await aws('secretsmanager', 'list-secret-version-ids', '--secret-id', name);
    expect(versions.Versions).toHaveLength(2);
    const password = await aws('secretsmanager', 'get-random-password', '--password-length', '20', '--exclude-punctuation');
    expect(password.RandomPassword).toMatch(/^[A-Za-z0-9]{20}$/);
    await aws('secretsmanager', 'delete-secret', '--secret-id', name, '--force-delete-without-recovery');
  });

  it('reports AWS errors the CLI understands', async () => {
    await expect(aws('secretsmanager', 'describe-secret', '--secret-id', 'missing-secret')).rejects.toMatchObject({
      stderr: expect.stringContaining('ResourceNotFoundException'),
    });
  });

  it('puts and lists events', async () => {
    const out = await aws('events', 'put-events', '--entries', JSON.stringify([{ Source: 'rcp.cli', DetailType: 'test', Detail: '{"ok":true}' }]));
    expect(out.FailedEntryCount).toBe(0);
    const buses = await aws('events', 'list-event-buses');
    expect((buses.EventBuses as Array<{ Name: string }>).map((b) => b.Name)).toContain('default');
  });
});

describe('the aws CLI with Step Functions and EventBridge rules', () => {
  it('creates a state machine, starts an execution and describes it until it has succeeded', async () => {
    const name = uniqueName('cli-sfn');
    const definition = JSON.stringify({ StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 2, Next: 'Done' }, Done: { Type: 'Pass', Result: 'done', ResultPath: '$.step', End: true } } });
    const created = await aws('stepfunctions', 'create-state-machine', '--name', name, '--definition', definition, '--role-arn', 'arn:aws:iam::000000000000:role/states');
    expect(created.stateMachineArn).toBe(`arn:aws:states:us-east-1:000000000000:stateMachine:${name}`);
    const started = await aws('stepfunctions', 'start-execution', '--state-machine-arn', created.stateMachineArn as string, '--name', 'first', '--input', '{"secret":"demo"}');
    expect(started.executionArn).toBe(`arn:aws:states:us-east-1:000000000000:execution:${name}:first`);
    const described = await eventually('the execution to succeed', async () => {
      const d = await aws('stepfunctions', 'describe-execution', '--execution-arn', started.executionArn as string);
      return d.status === 'SUCCEEDED' ? d : undefined;
    });
    expect(JSON.parse(described.output as string)).toEqual({ secret: 'demo', step: 'done' });
    await expect(aws('stepfunctions', 'describe-execution', '--execution-arn', `arn:aws:states:us-east-1:000000000000:execution:${name}:none`)).rejects.toMatchObject({
      stderr: expect.stringContaining('ExecutionDoesNotExist'),
    });
  });

  it('puts a rule and a target that starts the state machine', async () => {
    const name = uniqueName('cli-rule');
    const machine = await aws('stepfunctions', 'create-state-machine', '--name', name, '--definition', '{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.detail","End":true}}}', '--role-arn', 'arn:aws:iam::000000000000:role/events');
    const rule = await aws('events', 'put-rule', '--name', name, '--event-pattern', JSON.stringify({ source: [name] }));
    expect(rule.RuleArn).toBe(`arn:aws:events:us-east-1:000000000000:rule/${name}`);
    const targets = await aws('events', 'put-targets', '--rule', name, '--targets', `Id=machine,Arn=${machine.stateMachineArn as string},RoleArn=arn:aws:iam::000000000000:role/events`);
    expect(targets.FailedEntryCount).toBe(0);
    expect(((await aws('events', 'list-targets-by-rule', '--rule', name)).Targets as Array<{ Id: string }>).map((t) => t.Id)).toEqual(['machine']);
    await aws('events', 'put-events', '--entries', JSON.stringify([{ Source: name, DetailType: 'cli', Detail: '{"from":"cli"}' }]));
    const [execution] = await eventually('the execution the rule started', async () => {
      const listed = (await aws('stepfunctions', 'list-executions', '--state-machine-arn', machine.stateMachineArn as string)).executions as Array<{ executionArn: string }>;
      return listed.length ? listed : undefined;
    });
    const done = await eventually('it to succeed', async () => {
      const d = await aws('stepfunctions', 'describe-execution', '--execution-arn', execution!.executionArn);
      return d.status === 'SUCCEEDED' ? d : undefined;
    });
    expect(JSON.parse(done.output as string)).toEqual({ from: 'cli' });
  });
});

describe('boto3', () => {
  it('creates, reads and lists secrets, and raises the modelled exception', async () => {
    const name = uniqueName('py');
    const script = `
import boto3, json, sys
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
sm = boto3.client("secretsmanager", **kw)
name = sys.argv[2]
sm.create_secret(Name=name, SecretString='{"password":"py"}')
value = sm.get_secret_value(SecretId=name)["SecretString"]
listed = [s["Name"] for s in sm.get_paginator("list_secrets").paginate(Filters=[{"Key": "name", "Values": [name]}]).build_full_result()["SecretList"]]
try:
    sm.describe_secret(SecretId="missing-" + name)
    missing = "no error"
except sm.exceptions.ResourceNotFoundException:
    missing = "ResourceNotFoundException"
identity = boto3.client("sts", **kw).get_caller_identity()["Account"]
events = boto3.client("events", **kw).put_events(Entries=[{"Source": "rcp.py", "DetailType": "t", "Detail": "{}"}])["FailedEntryCount"]
sfn = boto3.client("stepfunctions", **kw)
try:
    sfn.describe_state_machine(stateMachineArn="arn:aws:states:us-east-1:000000000000:stateMachine:missing-" + name)
    machine = "no error"
except sfn.exceptions.StateMachineDoesNotExist:
    machine = "StateMachineDoesNotExist"
print(json.dumps({"value": value, "listed": listed, "missing": missing, "identity": identity, "failed": events, "machine": machine}))
`;
    const { stdout } = await run(PYTHON, ['-c', script, url, name], { env });
    expect(JSON.parse(stdout)).toEqual({ value: '{"password":"py"}', listed: [name], missing: 'ResourceNotFoundException', identity: '000000000000', failed: 0, machine: 'StateMachineDoesNotExist' });
  });
});
