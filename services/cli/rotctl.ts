import { Command } from 'commander';
import { DEFAULT_URL } from './cli.ts';
import { onboardingCommands } from './commands/onboardings.ts';
import { secretCommands } from './commands/secrets.ts';
import { complianceCommands } from './commands/compliance.ts';

/**
 * rotctl: the REST API from a terminal (RCP_API_URL, RCP_TOKEN). Each command group lives in
 * commands/ and talks to the API through the client typed from openapi.yaml.
 */
const program = new Command('rotctl')
  .description('onboard secrets for automatic rotation and watch them rotate')
  .option('--json', 'print JSON instead of text')
  .addHelpText(
    'after',
    `
Environment:
  RCP_API_URL   the API's address (default ${DEFAULT_URL}, where npm start serves it)
  RCP_TOKEN     your team's bearer token (npm start prints one)`,
  );

onboardingCommands(program);
secretCommands(program);
complianceCommands(program);

await program.parseAsync();
