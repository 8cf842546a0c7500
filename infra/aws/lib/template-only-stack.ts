import { CfnParameter, DefaultStackSynthesizer, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * A stack whose synthesised template deploys as it is, anywhere: by a CloudFormation StackSet
 * into every account of an organisation, or by `aws cloudformation deploy`. So: no assets, no
 * bootstrap version check (member accounts are not CDK-bootstrapped), no CDK metadata resource,
 * no account or region baked in; every setting is a CloudFormation parameter.
 */
export class TemplateOnlyStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      ...props,
      analyticsReporting: false,
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
    });
  }

  protected parameter(id: string, props: { description: string; allowedPattern: string; constraintDescription: string; default?: string }): CfnParameter {
    return new CfnParameter(this, id, { type: 'String', ...props });
  }
}
