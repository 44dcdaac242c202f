// Middleware in grammY's shape, `(ctx, next)`, and a router that folds it into one function. Commands declare who may
// run them and what they take; the router checks access before the handler runs, so no handler repeats "are you linked
// / an admin". What a command takes (its arguments, their choices and where suggestions come from) is declared once
// here and drives Discord's slash-command options; the core still parses the text itself, so every platform types the
// same commands.
import type { BotUser } from './backend.js';
import type { BotContext } from './context.js';
import { messages, type Lang, type Messages } from './i18n/index.js';

export type NextFunction = () => Promise<void>;
export type Middleware = (ctx: BotContext, next: NextFunction) => unknown;
export type Handler = (ctx: BotContext) => unknown;

/** anyone: no account needed; linked: a linked account; admin: a linked admin or root account. */
export type Access = 'anyone' | 'linked' | 'admin';

/** Every command has its words in both catalogues. */
export type CommandName = keyof Messages['commands'];

/** Where suggestions for an argument come from (Discord autocomplete). */
export type Suggestions = 'groups' | 'models' | 'tokens' | 'channels';

export interface ArgSpec {
  /** Its key in the catalogue's `commands.<command>.args`. */
  name: string;
  type?: 'string' | 'integer';
  required?: boolean;
  /** Fixed values; their labels are the catalogue's `commands.<command>.choices`. */
  choices?: readonly string[];
  complete?: Suggestions;
  /** Free text that may contain spaces (a chat message). */
  rest?: boolean;
  /** An image to send with the text (Discord: an attachment option); not part of the command text. */
  image?: boolean;
}

export interface CommandSpec {
  access: Access;
  /** The arguments in the order the command text takes them. */
  args?: readonly ArgSpec[];
  /** Or sub-commands, each with its own arguments ("/token new …", "/token del …"). */
  subcommands?: Readonly<Record<string, readonly ArgSpec[]>>;
}

export interface CommandInfo extends CommandSpec {
  name: CommandName;
  /** One line for /help and the platform's command menu. */
  description(lang: Lang): string;
  /** Shown in /help after the name ("<code>"). */
  usage(lang: Lang): string;
}

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

  command(name: CommandName, spec: CommandSpec, handler: Handler): this {
    this.#commands.push({
      ...spec,
      name,
      description: (lang) => messages(lang).commands[name].description,
      usage: (lang) => messages(lang).commands[name].usage,
    });
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
    await ctx.reply(ctx.t.notLinked);
    return false;
  }
  if (access === 'admin' && !(await ctx.backend.isAdmin(user.id))) {
    await ctx.reply(ctx.t.adminOnly);
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
