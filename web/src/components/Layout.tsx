// The frame of every signed-in page: a header (menu button on phones, language, sign out) and the navigation, which is
// a side bar on wide screens and a drawer on phones. Plain CSS does the responsive part (see app.css).
import { useState, type ReactNode } from 'react';
import { NavLink as RouterLink, useLocation, useNavigate } from 'react-router';
import { Burger, Button, Divider, Drawer, NavLink, SegmentedControl, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, setLanguage, type Language } from '../i18n';
import { useSession } from '../session';

type NavKey = 'dashboard' | 'tokens' | 'logs' | 'wallet' | 'pricing' | 'chatAccounts' | 'settings';
type AdminNavKey = 'overview' | 'channels' | 'users' | 'groups' | 'redemptions' | 'options' | 'logs' | 'orders' | 'payments';

const USER_LINKS: [string, NavKey][] = [
  ['/', 'dashboard'],
  ['/tokens', 'tokens'],
  ['/logs', 'logs'],
  ['/wallet', 'wallet'],
  ['/pricing', 'pricing'],
  ['/chat-accounts', 'chatAccounts'],
  ['/settings', 'settings'],
];
const ADMIN_LINKS: [string, AdminNavKey][] = [
  ['/admin', 'overview'],
  ['/admin/channels', 'channels'],
  ['/admin/users', 'users'],
  ['/admin/groups', 'groups'],
  ['/admin/redemptions', 'redemptions'],
  ['/admin/options', 'options'],
  ['/admin/logs', 'logs'],
  ['/admin/orders', 'orders'],
  ['/admin/payments', 'payments'],
];

export function LanguageSwitch() {
  const { i18n, t } = useTranslation();
  return (
    <SegmentedControl
      size="xs"
      aria-label={t('common.language')}
      value={i18n.language.startsWith('zh') ? 'zh' : 'en'}
      onChange={(value) => setLanguage(value as Language)}
      data={LANGUAGES.map((l) => ({ value: l.value, label: l.label }))}
    />
  );
}

function Navigation({ onNavigate }: { onNavigate?: () => void }) {
  const { t } = useTranslation();
  const { isAdmin, account } = useSession();
  const location = useLocation();
  const link = (to: string, label: string) => (
    <NavLink
      key={to}
      component={RouterLink}
      to={to}
      end
      label={label}
      active={location.pathname === to}
      onClick={onNavigate}
    />
  );
  if (!account) return <nav aria-label={t('nav.main')}>{link('/pricing', t('nav.pricing'))}{link('/signin', t('auth.signIn'))}</nav>;
  return (
    <nav aria-label={t('nav.main')}>
      {USER_LINKS.map(([to, key]) => link(to, t(`nav.${key}`)))}
      {isAdmin && (
        <>
          <Divider my="xs" label={t('nav.admin')} labelPosition="left" />
          {ADMIN_LINKS.map(([to, key]) => link(to, t(`adminNav.${key}`)))}
        </>
      )}
    </nav>
  );
}

export function Layout({ children, public: isPublic = false }: { children: ReactNode; public?: boolean }) {
  const { t } = useTranslation();
  const { account, signOut } = useSession();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  return (
    <>
      <a className="skip-link" href="#main">
        {t('common.skip')}
      </a>
      <header className="shell-header">
        <Burger className="mobile-only" opened={open} onClick={() => setOpen((o) => !o)} aria-label={t('nav.menu')} size="sm" />
        <span className="brand">relay-station</span>
        <LanguageSwitch />
        {account ? (
          <>
            <Text size="sm" c="dimmed" className="desktop-only">
              {account.username}
            </Text>
            <Button variant="subtle" size="xs" onClick={() => void signOut().then(() => navigate('/signin'))}>
              {t('auth.signOut')}
            </Button>
          </>
        ) : (
          isPublic && (
            <Button variant="subtle" size="xs" onClick={() => navigate('/signin')}>
              {t('auth.signIn')}
            </Button>
          )
        )}
      </header>
      <div className="shell-body">
        <aside className="shell-nav">
          <Navigation />
        </aside>
        <Drawer opened={open} onClose={() => setOpen(false)} title="relay-station" size="75%">
          <Navigation onNavigate={() => setOpen(false)} />
        </Drawer>
        <main className="shell-main" id="main" tabIndex={-1}>
          <div className="page">{children}</div>
        </main>
      </div>
    </>
  );
}
