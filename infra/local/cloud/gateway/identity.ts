import { rootCaller, type Caller } from '../auth/principals.ts';
import { isRegionName, type Scopes } from '../scopes.ts';
import { RoleSessions, SESSION_KEY, sessionCaller } from '../services/sts/sessions.ts';
import type { SigningScope } from './sigv4.ts';

/**
 * Who a request's credentials stand for, and where it acts (LocalStack's convention for keys):
 * an access key id of exactly 12 digits is the root of that account; a session key minted by
 * AssumeRole is that role session; any other key (and an unsigned or presigned request) is the
 * root of the default account. The region is the signing scope's.
 */
export class CredentialError extends Error {
  constructor(readonly reason: 'invalid' | 'expired') {
    super(reason === 'invalid' ? 'The security token included in the request is invalid.' : 'The security token included in the request is expired');
  }
}

export class Identities {
  constructor(
    private readonly defaults: { account: string; region: string },
    private readonly scopes: Scopes,
  ) {}

  async resolve(signing: SigningScope | undefined): Promise<{ caller: Caller; region: string }> {
    const region = signing && isRegionName(signing.region) ? signing.region : this.defaults.region;
    const key = signing?.accessKeyId;
    if (key === undefined) return { caller: rootCaller(this.defaults.account), region };
    if (/^\d{12}$/.test(key)) return { caller: rootCaller(key), region };
    if (SESSION_KEY.test(key)) {
      const session = RoleSessions.of(await this.scopes.cloud()).find(key);
      if (!session || signing!.sessionToken !== session.sessionToken) throw new CredentialError('invalid');
      if (session.expiresAt <= Date.now()) throw new CredentialError('expired');
      return { caller: sessionCaller(session), region };
    }
    return { caller: rootCaller(this.defaults.account), region };
  }
}
