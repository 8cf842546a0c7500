/**
 * Who owns a secret: its `rcp:team` tag. Whoever tags a secret needs IAM rights on it, so the tag
 * is the owner's proof; the control plane (whose roles may act on any secret) acts on a secret
 * only for the team its tag names, and never sets or removes that tag itself.
 */
export const TEAM_TAG = 'rcp:team';

export function ownerOf(tags: Array<{ Key?: string; Value?: string }> | undefined): string | undefined {
  return tags?.find((t) => t.Key === TEAM_TAG)?.Value;
}
