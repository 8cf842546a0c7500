/**
 * The words every part uses about a rotation: the strategies the fleet rotator knows and how it
 * reached a service. The rotator's plugins say which strategies each service type supports; the
 * audit events' schema and the REST contract's enums must name these (a test checks the contract).
 */
export const STRATEGIES = ['single-user', 'alternating-users', 'dual-password'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** How a session reached its service; a fallback to plaintext is reported in logs and audit events. */
export const TRANSPORTS = ['verified-tls', 'plaintext', 'plaintext-fallback', 'https', 'http'] as const;
export type Transport = (typeof TRANSPORTS)[number];
