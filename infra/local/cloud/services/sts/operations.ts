import { escapeXml } from '../../protocol/query-protocol.ts';
import type { CloudIdentity } from '../../context.ts';

const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
export { STS_XMLNS };

/** The local cloud has one identity: the account's root, as `aws sts get-caller-identity` shows it. */
export function callerIdentity(identity: CloudIdentity) {
  return { Account: identity.account, Arn: `arn:aws:iam::${identity.account}:root`, UserId: identity.account };
}

export function callerIdentityXml(identity: CloudIdentity): string {
  const { Account, Arn, UserId } = callerIdentity(identity);
  return (
    `<GetCallerIdentityResponse xmlns="${STS_XMLNS}"><GetCallerIdentityResult>` +
    `<Arn>${escapeXml(Arn)}</Arn><UserId>${UserId}</UserId><Account>${Account}</Account>` +
    `</GetCallerIdentityResult><ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
  );
}
