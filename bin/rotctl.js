#!/usr/bin/env node
// rotctl is written in TypeScript; tsx loads it in place.
import { register } from 'tsx/esm/api';

register();
await import('../services/cli/rotctl.ts');
