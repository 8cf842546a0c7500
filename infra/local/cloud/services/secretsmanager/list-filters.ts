import type { SecretRecord } from './model.ts';

export interface Filter {
  Key: string;
  Values: string[];
}

/** ListSecrets' `all` filter: values and attributes split into words at case, digit and punctuation changes. */
export function words(text: string): string[] {
  return text.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g)?.map((w) => w.toLowerCase()) ?? [];
}

function attributes(secret: SecretRecord, key: string, region: string): string[] {
  switch (key) {
    case 'name':
      return [secret.name];
    case 'description':
      return secret.description ? [secret.description] : [];
    case 'tag-key':
      return secret.tags.map((t) => t.Key);
    case 'tag-value':
      return secret.tags.map((t) => t.Value);
    case 'primary-region':
      return [region];
    case 'owning-service':
      return [];
    default:
      return [];
  }
}

function matchesValue(secret: SecretRecord, key: string, value: string, region: string): boolean {
  if (key === 'all') {
    const wanted = words(value);
    const haystack = ['name', 'description', 'tag-key', 'tag-value', 'primary-region']
      .flatMap((k) => attributes(secret, k, region))
      .flatMap(words);
    return wanted.every((w) => haystack.some((h) => h.startsWith(w)));
  }
  // Prefix matches; only description (and `all`) ignore case.
  const fold = key === 'description' ? (s: string) => s.toLowerCase() : (s: string) => s;
  return attributes(secret, key, region).some((attribute) => fold(attribute).startsWith(fold(value)));
}

/**
 * Filters combine with AND; a filter's values combine with OR, except negated values ("!x"),
 * which must all hold.
 */
export function matchesFilters(secret: SecretRecord, filters: Filter[], region: string): boolean {
  return filters.every((filter) => {
    const positive = filter.Values.filter((v) => !v.startsWith('!'));
    const negative = filter.Values.filter((v) => v.startsWith('!')).map((v) => v.slice(1));
    if (negative.some((v) => matchesValue(secret, filter.Key, v, region))) return false;
    return positive.length === 0 || positive.some((v) => matchesValue(secret, filter.Key, v, region));
  });
}
