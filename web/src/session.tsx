// Who is signed in (GET /api/me with the session cookie) and what the site offers (GET /api/site). The console never
// sees a credential: signing in sets an httpOnly cookie, signing out asks the server to revoke and clear it.
import { createContext, useContext, useEffect, useMemo, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, del, get, post, setSignedOutHandler } from './api';
import type { Money } from './format';
import type { Account, Site } from './types';

interface SessionValue {
  account: Account | null;
  site: Site | undefined;
  money: Money;
  loading: boolean;
  isAdmin: boolean;
  signIn(username: string, password: string): Promise<void>;
  register(username: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  refresh(): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const site = useQuery({ queryKey: ['site'], queryFn: () => get<Site>('/site'), staleTime: 60_000 });
  const me = useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      try {
        return await get<Account>('/me');
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
  });

  useEffect(() => {
    setSignedOutHandler(() => {
      client.setQueryData(['me'], null);
    });
  }, [client]);

  const value = useMemo<SessionValue>(() => {
    const account = me.data ?? null;
    const s = site.data;
    const afterSignIn = async (session: { account: Account }) => {
      // Nothing cached for a previous account may show to this one.
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== 'site' && q.queryKey[0] !== 'me' });
      client.setQueryData(['me'], session.account);
    };
    return {
      account,
      site: s,
      money: { quotaPerUsd: s?.quotaPerUsd ?? 500_000, exchangeRate: s?.exchangeRate ?? 1, currency: s?.currency ?? 'USD' },
      loading: me.isPending,
      isAdmin: account?.role === 'admin' || account?.role === 'root',
      async signIn(username, password) {
        await afterSignIn(await post<{ account: Account }>('/auth/session', { username, password }));
      },
      async register(username, password) {
        await afterSignIn(await post<{ account: Account }>('/auth/register', { username, password }));
      },
      async signOut() {
        await del('/auth/session').catch(() => undefined);
        client.setQueryData(['me'], null);
        client.removeQueries({ predicate: (q) => q.queryKey[0] !== 'site' && q.queryKey[0] !== 'me' });
      },
      async refresh() {
        await client.invalidateQueries({ queryKey: ['me'] });
      },
    };
  }, [me.data, me.isPending, site.data, client]);

  return <SessionContext value={value}>{children}</SessionContext>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in account (pages under the signed-in layout only). */
export function useAccount(): Account {
  const { account } = useSession();
  if (!account) throw new Error('not signed in');
  return account;
}
