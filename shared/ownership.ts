import { TAGS } from './names.ts';

/** Who owns a secret: the team its `rcp:team` tag names (see TAGS.team). */
export function ownerOf(tags: Array<{ Key?: string; Value?: string }> | undefined): string | undefined {
  return tags?.find((t) => t.Key === TAGS.team)?.Value;
}
