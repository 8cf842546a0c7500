import AppLayout from '@cloudscape-design/components/app-layout';
import SideNavigation from '@cloudscape-design/components/side-navigation';
import TopNavigation from '@cloudscape-design/components/top-navigation';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Navigate, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { session } from '../api/session.ts';
import { cognitoUsers, signInConfig } from '../api/sign-in-config.ts';

/** The console's frame: top bar, navigation, and the signed-in check every page behind it shares. */
export function Shell() {
  const navigate = useNavigate();
  const location = useLocation();
  const queries = useQueryClient();
  const [signedIn, setSignedIn] = useState(() => session.token() !== null);
  const [navigationOpen, setNavigationOpen] = useState(true);

  useEffect(() => {
    const signedOut = () => setSignedIn(false);
    window.addEventListener('rcp:signed-out', signedOut);
    return () => window.removeEventListener('rcp:signed-out', signedOut);
  }, []);

  if (!signedIn) return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;

  const follow = (event: CustomEvent<{ href: string; external?: boolean }>) => {
    if (event.detail.external) return;
    event.preventDefault();
    navigate(event.detail.href);
  };
  return (
    <>
      <div id="top-nav" style={{ position: 'sticky', top: 0, zIndex: 1002 }}>
        <TopNavigation
          identity={{ href: '/', title: 'Secret Rotation Control Plane', onFollow: (e) => (e.preventDefault(), navigate('/')) }}
          utilities={[
            {
              type: 'button',
              text: 'Sign out',
              onClick: () => {
                session.signOut();
                queries.clear();
                // On AWS the Cognito session ends too, or the next sign-in would skip the password.
                void signInConfig().then((config) => (config.kind === 'cognito' ? cognitoUsers(config).signoutRedirect() : navigate('/sign-in')));
              },
            },
          ]}
        />
      </div>
      <AppLayout
        headerSelector="#top-nav"
        toolsHide
        navigationOpen={navigationOpen}
        onNavigationChange={({ detail }) => setNavigationOpen(detail.open)}
        ariaLabels={{ navigation: 'Navigation', navigationToggle: 'Open navigation', navigationClose: 'Close navigation' }}
        navigation={
          <SideNavigation
            activeHref={`/${location.pathname.split('/')[1] ?? ''}`}
            header={{ href: '/', text: 'Secret rotation' }}
            onFollow={follow}
            items={[
              { type: 'link', text: 'My secrets', href: '/secrets' },
              { type: 'link', text: 'Onboard a secret', href: '/onboard' },
              { type: 'link', text: 'Compliance', href: '/compliance' },
            ]}
          />
        }
        content={<Outlet />}
      />
    </>
  );
}
