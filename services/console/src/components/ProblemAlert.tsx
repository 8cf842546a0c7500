import Alert from '@cloudscape-design/components/alert';
import type { Problem } from '../../../../shared/contract/types.ts';
import { asProblem } from '../api/client.ts';

/** An error as the API's problem details: its title, what to fix, and each invalid field. */
export function ProblemAlert({ error, header }: { error: unknown; header?: string }) {
  const problem: Problem = asProblem(error);
  return (
    <Alert type="error" header={header ?? `${problem.title}${problem.status ? ` (${problem.status})` : ''}`}>
      <span data-testid="problem-detail">{problem.detail}</span>
      {problem.errors?.length ? (
        <ul>
          {problem.errors.map((e) => (
            <li key={`${e.path}:${e.message}`}>
              <code>{e.path}</code>: {e.message}
            </li>
          ))}
        </ul>
      ) : null}
    </Alert>
  );
}
