import { COGNITO_GROUPS } from '../../shared/names.ts';
import { problem } from './problem.ts';

/** Who calls: the team the caller acts for (a caller acts only on its own team's secrets). */
export interface Caller {
  team: string;
  actor: string;
  /** An auditor sees the whole organisation's compliance, read-only; everything else it does as its team. */
  auditor?: boolean;
}

/** `RCP_TOKENS`: `team:token,...` (local bearer tokens). */
export function parseTokens(text: string | undefined): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const entry of (text ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    if (colon < 1 || colon === entry.length - 1) throw new Error(`RCP_TOKENS entry "${entry.split(':')[0]}:..." is not team:token`);
    tokens.set(entry.slice(colon + 1), entry.slice(0, colon));
  }
  return tokens;
}

const challenge = { 'www-authenticate': 'Bearer realm="secret-rotation-control-plane"' };

/** Locally: a bearer token from the configured tokens names the team. */
export function bearerCaller(tokens: Map<string, string>, authorization: string | undefined): Caller {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) throw problem(401, 'unauthenticated', 'send "Authorization: Bearer <token>" (npm start prints a token; RCP_TOKENS configures them)', undefined, challenge);
  const team = tokens.get(match[1]!);
  if (!team) throw problem(401, 'unauthenticated', 'the bearer token is not known: use the token npm start printed (or one configured in RCP_TOKENS)', undefined, challenge);
  return { team, actor: `token:${team}` };
}

/**
 * On AWS: API Gateway has verified the SigV4 signature; the caller's IAM ARN maps to a team through
 * `RCP_TEAM_PRINCIPALS` (JSON: ARN pattern with `*` -> team). The first pattern that matches wins.
 */
export function iamCaller(principals: Record<string, string>, userArn: string | undefined, auditors: string[] = []): Caller {
  if (!userArn) throw problem(401, 'unauthenticated', 'the request carries no IAM identity: sign it with SigV4', undefined, { 'www-authenticate': 'AWS4-HMAC-SHA256' });
  const matches = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(userArn);
  const auditor = auditors.some(matches);
  for (const [pattern, team] of Object.entries(principals)) {
    if (matches(pattern)) return { team, actor: userArn, ...(auditor ? { auditor } : {}) };
  }
  // An auditor needs no team: it reads the organisation's compliance and owns nothing.
  if (auditor) return { team: 'auditors', actor: userArn, auditor };
  throw problem(403, 'no-team', `${userArn} is not mapped to a team: add a pattern for it to the CDK context value rcp:teamPrincipals`);
}

/** `cognito:groups` as API Gateway passes it: a list, or (REST APIs) one string such as `[team-a auditors]` or `team-a,auditors`. */
function groupsOf(claims: Record<string, unknown>): string[] {
  const raw = claims['cognito:groups'];
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw !== 'string') return [];
  return raw.replace(/^\[|\]$/g, '').split(/[,\s]+/).filter(Boolean);
}

/**
 * On AWS, signed in to the console: API Gateway's Cognito authoriser has verified the token, and
 * the user's groups in the pool say the team (`team-<name>`) and whether they audit (`auditors`).
 */
export function cognitoCaller(claims: Record<string, unknown>): Caller {
  const groups = groupsOf(claims);
  const user = String(claims['cognito:username'] ?? claims.email ?? claims.sub ?? 'unknown');
  const actor = `cognito:${user}`;
  const auditor = groups.includes(COGNITO_GROUPS.auditors);
  const teams = groups.filter((g) => g.startsWith(COGNITO_GROUPS.teamPrefix)).map((g) => g.slice(COGNITO_GROUPS.teamPrefix.length)).filter((t) => /^[a-z0-9][a-z0-9-]{0,62}$/.test(t));
  if (teams.length > 1) throw problem(403, 'several-teams', `${user} is in the groups of ${teams.length} teams (${teams.join(', ')}): a user acts for one team; remove the others in the Cognito user pool`);
  if (teams.length === 1) return { team: teams[0]!, actor, ...(auditor ? { auditor } : {}) };
  if (auditor) return { team: 'auditors', actor, auditor };
  throw problem(403, 'no-team', `${user} is in no team group: add them to the group ${COGNITO_GROUPS.teamPrefix}<team> (or ${COGNITO_GROUPS.auditors}) in the console's Cognito user pool`);
}
