import type { Finding } from './findings.ts';
import { RULES } from './rules.ts';

const SEVERITY: Record<string, 'LOW' | 'MEDIUM' | 'HIGH'> = {
  'rotation-enabled': 'MEDIUM',
  'scheduled-rotation-success': 'MEDIUM',
  'secret-unused': 'MEDIUM',
  'periodic-rotation': 'MEDIUM',
  'required-tags': 'LOW',
  'rotation-failing': 'HIGH',
  'rotated-by-other': 'LOW',
  'onboarded-rotation-off': 'HIGH',
  'owner-tag': 'LOW',
};

/**
 * A finding in the AWS Security Finding Format (schema 2018-10-08), ready for Security Hub's
 * BatchImportFindings as the account's own ("default") product. The rule's Security Hub control, when it
 * has one, is its SecurityControlId.
 */
export function toAsff(finding: Finding, partition = 'aws'): Record<string, unknown> {
  const rule = RULES.find((r) => r.id === finding.rule);
  const control = rule?.awsControl?.split(' ')[0];
  const failed = finding.state === 'NON_COMPLIANT';
  return {
    SchemaVersion: '2018-10-08',
    Id: `${finding.secretArn}/rcp-compliance/${finding.rule}`,
    ProductArn: `arn:${partition}:securityhub:${finding.region}:${finding.account}:product/${finding.account}/default`,
    GeneratorId: `secret-rotation-control-plane/${finding.rule}`,
    AwsAccountId: finding.account,
    Types: ['Software and Configuration Checks/AWS Security Best Practices'],
    CreatedAt: finding.since,
    UpdatedAt: finding.evaluatedAt,
    Severity: { Label: failed ? SEVERITY[finding.rule] ?? 'MEDIUM' : 'INFORMATIONAL' },
    Title: rule?.title ?? finding.rule,
    Description: finding.reason.slice(0, 1024),
    ...(finding.remediation ? { Remediation: { Recommendation: { Text: `${finding.remediation.action}: ${finding.remediation.detail}`.slice(0, 512) } } } : {}),
    ProductFields: { 'rcp/rule': finding.rule, 'rcp/findingId': finding.findingId, ...(finding.team ? { 'rcp/team': finding.team } : {}) },
    Resources: [{ Type: 'AwsSecretsManagerSecret', Id: finding.secretArn, Partition: partition, Region: finding.region, Details: { AwsSecretsManagerSecret: { Name: finding.name } } }],
    Compliance: { Status: failed ? 'FAILED' : finding.state === 'COMPLIANT' ? 'PASSED' : 'NOT_AVAILABLE', ...(control ? { SecurityControlId: control } : {}) },
    Workflow: { Status: failed ? 'NEW' : 'RESOLVED' },
    RecordState: 'ACTIVE',
  };
}
