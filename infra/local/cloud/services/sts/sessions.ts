import { randomBytes } from 'node:crypto';
import type { RoleSessionCaller } from '../../auth/principals.ts';
import type { Scope } from '../../scopes.ts';
import { uniqueId } from '../iam/roles.ts';

/**
 * Temporary credentials that sts:AssumeRole minted, kept (in the cloud scope) so that a request
 * signed with them acts as the role session, also after a restart. Expiry is on the real clock:
 * SDKs refresh credentials by the real time, whatever the emulated clock says.
 */
export interface SessionRecord {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: number;
  account: string;
  roleArn: string;
  roleName: string;
  roleId: string;
  sessionName: string;
  assumedByAccount: string;
  assumedByArn: string;
  /** A session policy given to AssumeRole further limits what the session may do. */
  sessionPolicy?: string;
}

export const SESSION_KEY = /^ASIA[A-Z2-7]{16}$/;

export class RoleSessions {
  private readonly sessions = new Map<string, SessionRecord>();

  constructor(private readonly scope: Scope) {
    for (const [key, record] of scope.store.attach('session', () => this.sessions.entries())) this.sessions.set(key, record as SessionRecord);
  }

  static of(scope: Scope): RoleSessions {
    return scope.service('sts', (s) => new RoleSessions(s));
  }

  mint(input: Omit<SessionRecord, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>): SessionRecord {
    const record: SessionRecord = {
      ...input,
      accessKeyId: uniqueId('ASIA'),
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(96).toString('base64'),
    };
    this.sessions.set(record.accessKeyId, record);
    this.scope.store.put('session', record.accessKeyId, () => this.sessions.get(record.accessKeyId));
    return record;
  }

  find(accessKeyId: string): SessionRecord | undefined {
    return this.sessions.get(accessKeyId);
  }

  /** Forgets sessions that expired (they can never be used again). */
  prune(now = Date.now()): void {
    for (const [key, session] of this.sessions) {
      if (session.expiresAt <= now) {
        this.sessions.delete(key);
        this.scope.store.delete('session', key);
      }
    }
  }

  commit(): Promise<void> {
    return this.scope.store.commit();
  }
}

export function sessionCaller(session: SessionRecord): RoleSessionCaller {
  return {
    kind: 'assumed-role',
    account: session.account,
    arn: `arn:aws:sts::${session.account}:assumed-role/${session.roleName}/${session.sessionName}`,
    userId: `${session.roleId}:${session.sessionName}`,
    roleArn: session.roleArn,
    roleName: session.roleName,
    sessionName: session.sessionName,
    assumedByAccount: session.assumedByAccount,
    assumedByArn: session.assumedByArn,
    sessionPolicy: session.sessionPolicy,
  };
}
