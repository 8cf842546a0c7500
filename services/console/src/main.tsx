import '@cloudscape-design/global-styles/index.css';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Navigate, RouterProvider } from 'react-router-dom';
import { ApiProblem } from './api/client.ts';
import { Shell } from './components/Shell.tsx';
import { DashboardPage } from './pages/DashboardPage.tsx';
import { OnboardingPage } from './pages/OnboardingPage.tsx';
import { OnboardPage } from './pages/OnboardPage.tsx';
import { SecretPage } from './pages/SecretPage.tsx';
import { SecretsPage } from './pages/SecretsPage.tsx';
import { SignInPage } from './pages/SignInPage.tsx';

// A 4xx says what to fix: asking again would get the same answer, so only other failures retry.
const queries = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (count, err) => count < 2 && !(err instanceof ApiProblem && err.problem.status >= 400 && err.problem.status < 500),
      refetchOnWindowFocus: false,
    },
  },
});

/** Every view has its own URL, so a link to it can be shared and bookmarked. */
const router = createBrowserRouter([
  { path: '/sign-in', element: <SignInPage /> },
  {
    element: <Shell />,
    children: [
      { index: true, element: <Navigate to="/secrets" replace /> },
      { path: '/onboard', element: <OnboardPage /> },
      { path: '/onboardings/:onboardingId', element: <OnboardingPage /> },
      { path: '/secrets', element: <SecretsPage /> },
      { path: '/secrets/:secretId', element: <SecretPage /> },
      { path: '/compliance', element: <DashboardPage /> },
      { path: '*', element: <Navigate to="/secrets" replace /> },
    ],
  },
]);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
