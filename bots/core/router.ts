// Middleware in grammY's shape, `(ctx, next)`, and a router that folds it into one function. Commands declare who may
// run them; the router checks that before the handler runs, so no handler repeats "are you linked / an admin".
import type { BotUser } from './backend.js';
import type { BotContext } from './context.js';

export type NextFunction = () => Promise<void>;
export type Middleware = (ctx: BotContext, next: NextFunction) => unknown;
export type Handler = (ctx: BotContext) => unknown;

/** anyone: no account needed; linked: a linked account; admin: a linked admin or root account. */
export type Access = 'anyone' | 'linked' | 'admin';

export interface CommandInfo {
  name: string;
  /** One line for /help and the platform's command menu. */
  description: string;
  /** Shown in /help after the name ("<code>"). */
  usage: string;
  access: Access;
}

export interface CommandSpec {
  description: string;
  usage?: string;
  access: Access;
}

export const NOT_LINKED =
  "Your chat account isn't linked to a relay account yet. Open the web console, create a link code, and send me /link <code> in a private chat.";
export const ADMIN_ONLY = 'Sorry, that command is for administrators only.';

/** Runs the middleware in order; each decides whether to call next. */
export function compose(stack: readonly Middleware[]): Middleware {
  return (ctx, last) => {
    const run = async (index: number): Promise<void> => {
      const mw = stack[index];
      if (!mw) return last();
      let called = false;
      await mw(ctx, () => {
        if (called) throw new Error('next() called twice');
        called = true;
        return run(index + 1);
      });
    };
    return run(0);
  };
}

export class Router {
  readonly #stack: Middleware[] = [];
  readonly #commands: CommandInfo[] = [];

  use(...middleware: Middleware[]): this {
    this.#stack.push(...middleware);
    return this;
  }

  command(name: string, spec: CommandSpec, handler: Handler): this {
    const info: CommandInfo = { name, description: spec.description, usage: spec.usage ?? '', access: spec.access };
    this.#commands.push(info);
    return this.use(async (ctx, next) => {
      if (ctx.command?.name !== name) return next();
      if (!(await allowed(ctx, spec.access))) return;
      await handler(ctx);
    });
  }

  /** Plain text (not a command). */
  text(handler: Middleware): this {
    return this.use(async (ctx, next) => (ctx.command ? next() : handler(ctx, next)));
  }

  get commands(): readonly CommandInfo[] {
    return this.#commands;
  }

  middleware(): Middleware {
    return compose(this.#stack);
  }
}

async function allowed(ctx: BotContext, access: Access): Promise<boolean> {
  if (access === 'anyone') return true;
  const user = await ctx.user();
  if (!user) {
    await ctx.reply(NOT_LINKED);
    return false;
  }
  if (access === 'admin' && !(await ctx.backend.isAdmin(user.id))) {
    await ctx.reply(ADMIN_ONLY);
    return false;
  }
  return true;
}

/** The linked user inside a handler whose command is `linked` or `admin` (the router checked already). */
export async function linkedUser(ctx: BotContext): Promise<BotUser> {
  const user = await ctx.user();
  if (!user) throw new Error('handler for a linked command ran without a linked user');
  return user;
}
