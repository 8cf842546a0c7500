import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * A resource as cdk-nag names it in a finding (`AwsSolutions-IAM5[Resource::…]`): the resolved
 * value with each Ref as `<Name>` and each Fn::GetAtt as `<Id.Attr>`. An ARN built from the stack's
 * region and account is literal in a stage with an environment and `<AWS::Region>` without one,
 * so acknowledgements name it from the value itself, never a hand-written string.
 */
export function nagResource(scope: IConstruct, resource: string): string {
  const visit = (node: unknown): string => {
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    const ref = node as { Ref?: string; 'Fn::Join'?: [string, unknown[]]; 'Fn::GetAtt'?: [string, string]; 'Fn::ImportValue'?: unknown };
    if (ref['Fn::Join']) return ref['Fn::Join'][1].map(visit).join(ref['Fn::Join'][0]);
    if (ref['Fn::GetAtt']) return `<${ref['Fn::GetAtt'][0]}.${ref['Fn::GetAtt'][1]}>`;
    if (ref['Fn::ImportValue']) return visit(ref['Fn::ImportValue']);
    if (ref.Ref) return `<${ref.Ref}>`;
    return JSON.stringify(node);
  };
  return visit(Stack.of(scope).resolve(resource));
}

/** Acknowledges cdk-nag's wildcard-resource finding (IAM5) for this resource on this construct, with the reason. */
export function acknowledgeWildcard(on: IConstruct, resource: string, reason: string): void {
  Validations.of(on).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource === '*' ? '*' : nagResource(on, resource)}]`, reason });
}
