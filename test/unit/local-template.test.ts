import { describe, expect, it } from 'vitest';
import { creationOrder, evaluateConditions, resolve, TemplateError, type Scope, type Template } from '../../infra/local/deploy/template.ts';

const scope = (over: Partial<Scope> = {}): Scope => ({
  account: '111111111111',
  region: 'eu-west-1',
  partition: 'aws',
  stackName: 'S',
  parameters: { ExternalId: 'ext-1', OrganizationId: '' },
  exports: new Map([['Rcp-Bus', 'arn:aws:events:eu-west-1:000000000000:event-bus/rcp-org-events']]),
  created: new Map([['Table', { ref: 'rcp-control-plane', attributes: { Arn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/rcp-control-plane' } }]]),
  conditions: {},
  ...over,
});

describe('the local template resolver', () => {
  it('resolves the intrinsic functions CDK emits', () => {
    const value = {
      a: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] },
      b: { 'Fn::GetAtt': ['Table', 'Arn'] },
      c: { 'Fn::Sub': 'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:x/${Table}' },
      d: { 'Fn::Select': [1, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Table', 'Arn'] }] }] },
      e: { 'Fn::ImportValue': 'Rcp-Bus' },
      f: [{ Ref: 'ExternalId' }, { Ref: 'AWS::NoValue' }],
      g: { Ref: 'AWS::NoValue' },
    };
    expect(resolve(value, scope())).toEqual({
      a: 'arn:aws:iam::111111111111:root',
      b: 'arn:aws:dynamodb:eu-west-1:111111111111:table/rcp-control-plane',
      c: 'arn:aws:states:eu-west-1:111111111111:stateMachine:x/rcp-control-plane',
      d: 'aws',
      e: 'arn:aws:events:eu-west-1:000000000000:event-bus/rcp-org-events',
      f: ['ext-1'],
    });
  });

  it('evaluates conditions on parameters, and Fn::If on them', () => {
    const template: Template = {
      Resources: {},
      Conditions: {
        HasOrg: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'OrganizationId' }, ''] }] },
        HasExternalId: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ExternalId' }, ''] }] },
        Both: { 'Fn::And': [{ Condition: 'HasOrg' }, { Condition: 'HasExternalId' }] },
      },
    };
    const conditions = evaluateConditions(template, scope());
    expect(conditions).toEqual({ HasOrg: false, HasExternalId: true, Both: false });
    expect(resolve({ 'Fn::If': ['HasExternalId', { Ref: 'ExternalId' }, { Ref: 'AWS::NoValue' }] }, scope({ conditions }))).toBe('ext-1');
  });

  it('orders resources after what they refer to, and refuses a cycle', () => {
    const template: Template = {
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } }, DependsOn: ['Policy'] },
        Policy: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'Role' }] } },
        Role: { Type: 'AWS::IAM::Role' },
        Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Join': ['', ['"', { 'Fn::GetAtt': ['Fn', 'Arn'] }, '"']] } } },
      },
    };
    const order = creationOrder(template);
    expect(order.indexOf('Role')).toBeLessThan(order.indexOf('Policy'));
    expect(order.indexOf('Policy')).toBeLessThan(order.indexOf('Fn'));
    expect(order.indexOf('Fn')).toBeLessThan(order.indexOf('Machine'));
    const cyclic: Template = { Resources: { A: { Type: 'X', Properties: { b: { Ref: 'B' } } }, B: { Type: 'X', Properties: { a: { Ref: 'A' } } } } };
    expect(() => creationOrder(cyclic)).toThrow(TemplateError);
  });

  it('says what it cannot resolve instead of guessing', () => {
    expect(() => resolve({ Ref: 'Missing' }, scope())).toThrow(/Ref Missing/);
    expect(() => resolve({ 'Fn::ImportValue': 'Nope' }, scope())).toThrow(/no stack applied earlier exports it/);
    expect(() => resolve({ 'Fn::Cidr': ['10.0.0.0/16', 2, 8] }, scope())).toThrow(/unsupported intrinsic/);
  });
});
