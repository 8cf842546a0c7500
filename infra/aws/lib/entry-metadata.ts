/** The template metadata key naming a function's entry file (e.g. services/rotator/handler.ts): the embedded default runs that entry in process. */
export const ENTRY_METADATA = 'rcp:entry';
