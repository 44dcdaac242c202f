// Routes. User pages load with the app; admin pages are separate chunks fetched on first visit (they are most of the
// code, and most users never see them).
import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { SessionProvider, useSession } from './session';
import { Layout } from './components/Layout';
import { Loading } from './components/common';
import { SignIn } from './pages/SignIn';
import { Dashboard } from './pages/Dashboard';
import { Tokens } from './pages/Tokens';
import { Logs } from './pages/Logs';
import { Wallet } from './pages/Wallet';
import { Pricing } from './pages/Pricing';
import { ChatAccounts } from './pages/ChatAccounts';
import { Settings } from './pages/Settings';

const Overview = lazy(() => import('./pages/admin/Overview'));
const Channels = lazy(() => import('./pages/admin/Channels'));
const Users = lazy(() => import('./pages/admin/Users'));
const Groups = lazy(() => import('./pages/admin/Groups'));
const Redemptions = lazy(() => import('./pages/admin/Redemptions'));
const OptionsPage = lazy(() => import('./pages/admin/Options'));
const Orders = lazy(() => import('./pages/admin/Orders'));
const Payments = lazy(() => import('./pages/admin/Payments'));
// Visited once per payment, from the checkout: not worth the first load.
const TopUpReturn = lazy(() => import('./pages/TopUpReturn'));

function Routed() {
  const { account, loading, isAdmin } = useSession();
  const location = useLocation();
  if (loading) return <Loading />;
  if (!account) {
    if (location.pathname === '/pricing') return <Layout public><Pricing /></Layout>;
    // The query string too: /wallet/return?order=… must still name the order after signing in.
    if (location.pathname !== '/signin') return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />;
    return <SignIn />;
  }
  return (
    <Layout>
      <Suspense fallback={<Loading />}>
        <Routes>
          <Route path="/" element={<Dashboard />} />
          <Route path="/tokens" element={<Tokens />} />
          <Route path="/logs" element={<Logs />} />
          <Route path="/wallet" element={<Wallet />} />
          <Route path="/wallet/return" element={<TopUpReturn />} />
          <Route path="/pricing" element={<Pricing />} />
          <Route path="/chat-accounts" element={<ChatAccounts />} />
          <Route path="/settings" element={<Settings />} />
          {isAdmin && (
            <>
              <Route path="/admin" element={<Overview />} />
              <Route path="/admin/channels" element={<Channels />} />
              <Route path="/admin/users" element={<Users />} />
              <Route path="/admin/groups" element={<Groups />} />
              <Route path="/admin/redemptions" element={<Redemptions />} />
              <Route path="/admin/options" element={<OptionsPage />} />
              <Route path="/admin/orders" element={<Orders />} />
              <Route path="/admin/payments" element={<Payments />} />
              <Route path="/admin/logs" element={<Logs admin />} />
            </>
          )}
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </Suspense>
    </Layout>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Routed />
    </SessionProvider>
  );
}
