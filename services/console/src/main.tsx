import '@cloudscape-design/global-styles/index.css';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import Spinner from '@cloudscape-design/components/spinner';
import { lazy, StrictMode, Suspense, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Navigate, RouterProvider } from 'react-router-dom';
import { ApiProblem } from './api/client.ts';
import { Shell } from './components/Shell.tsx';
import { SignInPage } from './pages/SignInPage.tsx';

// Each view loads its code when first shown: the sign-in page and My secrets do not wait for the dashboard's charts.
const DashboardPage = lazy(() => import('./pages/DashboardPage.tsx').then((m) => ({ default: m.DashboardPage })));
const OnboardingPage = lazy(() => import('./pages/OnboardingPage.tsx').then((m) => ({ default: m.OnboardingPage })));
const OnboardPage = lazy(() => import('./pages/OnboardPage.tsx').then((m) => ({ default: m.OnboardPage })));
const SecretPage = lazy(() => import('./pages/SecretPage.tsx').then((m) => ({ default: m.SecretPage })));
const SecretsPage = lazy(() => import('./pages/SecretsPage.tsx').then((m) => ({ default: m.SecretsPage })));
const view = (page: ReactNode) => <Suspense fallback={<Spinner size="large" />}>{page}</Suspense>;

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
      { path: '/onboard', element: view(<OnboardPage />) },
      { path: '/onboardings/:onboardingId', element: view(<OnboardingPage />) },
      { path: '/secrets', element: view(<SecretsPage />) },
      { path: '/secrets/:secretId', element: view(<SecretPage />) },
      { path: '/compliance', element: view(<DashboardPage />) },
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
