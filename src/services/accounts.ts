/** Users and aliases: every write goes through the domain's or the user's actor. */
import type { ActorRegistry } from '../actors/registry.js';
import type { ChangeBus } from '../actors/changes.js';
import {
  readAccount, writeAccount, listUsernames, removeUser, readAliases, writeAliases,
  type AccountRecord, type AliasRule,
} from '../store/accounts.js';
import { hashPassword } from './passwords.js';
import { checkDomain, checkPassword, checkQuotaMb, checkUsername, accountId } from '../common/names.js';
import { ConflictError, NotFoundError, ValidationError } from '../common/errors.js';

/** The public view of an account (no hash). */
export interface UserInfo {
  username: string;
  domain: string;
  enabled: boolean;
  admin: boolean;
  quota_mb: number;
  created: string;
}

/** What may be changed by PATCH /admin/users/{username}. */
export interface UserPatch {
  enabled?: boolean;
  admin?: boolean;
  quota_mb?: number;
}

/** A hook run after a user is created (inside nothing: the user's files exist). */
export type UserHook = (userId: string) => Promise<void>;

const CACHE_MS = 2000;

/** Public shape of an account record. */
export const userInfo = (r: AccountRecord): UserInfo => ({
  username: r.username, domain: r.domain, enabled: r.enabled, admin: r.admin, quota_mb: r.quota_mb, created: r.created,
});

/** Accounts and aliases of every domain under one mail root. */
export class AccountService {
  private readonly cache = new Map<string, { rec: AccountRecord | undefined; at: number }>();
  private readonly aliasCache = new Map<string, { rules: AliasRule[]; at: number }>();
  /** Run after a user is created (mail folders, default calendar, drive). */
  readonly onCreate: UserHook[] = [];
  /** Run after a user is deleted (drop caches, shares). */
  readonly onDelete: UserHook[] = [];

  constructor(
    readonly root: string,
    private readonly actors: ActorRegistry,
    private readonly changes: ChangeBus,
    readonly domains: string[],
  ) {}

  /** True when `domain` is one this server serves. */
  servesDomain(domain: string): boolean {
    return this.domains.includes(domain.toLowerCase());
  }

  /** The account record (cached for 2 s so the CLI's writes show up quickly), or undefined. */
  async get(user: string, domain: string): Promise<AccountRecord | undefined> {
    const key = accountId(user, domain);
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.rec;
    let rec: AccountRecord | undefined;
    try {
      checkUsername(user);
      checkDomain(domain);
      rec = await readAccount(this.root, domain, user);
    } catch (err) {
      if (err instanceof ValidationError) rec = undefined;
      else throw err;
    }
    this.cache.set(key, { rec, at: Date.now() });
    return rec;
  }

  /** The account record or a NotFoundError. */
  async require(user: string, domain: string): Promise<AccountRecord> {
    const rec = await this.get(user, domain);
    if (!rec) throw new NotFoundError('User not found');
    return rec;
  }

  /** Create a user; 409 (ConflictError) when it exists. */
  async create(input: { username: unknown; password: unknown; domain: unknown; admin?: unknown; quota_mb?: unknown }): Promise<UserInfo> {
    const username = checkUsername(input.username);
    const domain = checkDomain(input.domain);
    if (!this.servesDomain(domain)) throw new ValidationError(`Domain ${domain} is not served here`);
    const password = checkPassword(input.password);
    if (input.admin !== undefined && typeof input.admin !== 'boolean') throw new ValidationError('admin must be a boolean');
    const quota = input.quota_mb === undefined ? 1024 : checkQuotaMb(input.quota_mb);
    const hash = await hashPassword(password);
    const rec = await this.actors.domain(domain).mutate(async () => {
      if (await readAccount(this.root, domain, username)) throw new ConflictError('User already exists');
      const r: AccountRecord = {
        username, domain, password_hash: hash, admin: input.admin === true, enabled: true, quota_mb: quota,
        created: new Date().toISOString(),
      };
      await writeAccount(this.root, r);
      return r;
    });
    this.cache.delete(accountId(username, domain));
    for (const hook of this.onCreate) await hook(accountId(username, domain));
    return userInfo(rec);
  }

  /** Change fields of a user through the user's actor (read-modify-write, nothing lost). */
  async update(user: string, domain: string, patch: UserPatch): Promise<UserInfo> {
    const clean: UserPatch = {};
    if (patch.enabled !== undefined) {
      if (typeof patch.enabled !== 'boolean') throw new ValidationError('enabled must be a boolean');
      clean.enabled = patch.enabled;
    }
    if (patch.admin !== undefined) {
      if (typeof patch.admin !== 'boolean') throw new ValidationError('admin must be a boolean');
      clean.admin = patch.admin;
    }
    if (patch.quota_mb !== undefined) clean.quota_mb = checkQuotaMb(patch.quota_mb);
    const rec = await this.mutateRecord(user, domain, (r) => ({ ...r, ...clean }));
    return userInfo(rec);
  }

  /** Set a new password. */
  async setPassword(user: string, domain: string, password: unknown): Promise<void> {
    const hash = await hashPassword(checkPassword(password));
    await this.mutateRecord(user, domain, (r) => ({ ...r, password_hash: hash }));
  }

  /** Apply `fn` to the stored record inside the user's actor; NotFoundError when absent. */
  async mutateRecord(user: string, domain: string, fn: (r: AccountRecord) => AccountRecord): Promise<AccountRecord> {
    checkUsername(user);
    checkDomain(domain);
    const id = accountId(user, domain);
    const rec = await this.actors.user(id).mutate(async () => {
      const cur = await readAccount(this.root, domain, user);
      if (!cur) throw new NotFoundError('User not found');
      const next = fn(cur);
      await writeAccount(this.root, next);
      return next;
    });
    this.cache.set(id, { rec, at: Date.now() });
    this.changes.publish(id, { type: 'account-changed' });
    return rec;
  }

  /** Delete a user and all their data. */
  async remove(user: string, domain: string): Promise<void> {
    checkUsername(user);
    checkDomain(domain);
    const id = accountId(user, domain);
    await this.actors.domain(domain).mutate(() =>
      this.actors.user(id).mutate(async () => {
        if (!(await readAccount(this.root, domain, user))) throw new NotFoundError('User not found');
        await removeUser(this.root, domain, user);
      }),
    );
    this.cache.delete(id);
    await this.actors.forget(id);
    for (const hook of this.onDelete) await hook(id);
    this.changes.publish(id, { type: 'account-changed' });
  }

  /** Users of a domain. */
  async list(domain: string): Promise<UserInfo[]> {
    const d = checkDomain(domain);
    const out: UserInfo[] = [];
    for (const name of await listUsernames(this.root, d)) {
      const rec = await readAccount(this.root, d, name);
      if (rec) out.push(userInfo(rec));
    }
    return out;
  }

  /** The domain's alias rules (cached for 2 s, dropped on every write here). */
  async aliases(domain: string): Promise<AliasRule[]> {
    const d = checkDomain(domain);
    const hit = this.aliasCache.get(d);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.rules;
    const rules = await readAliases(this.root, d);
    this.aliasCache.set(d, { rules, at: Date.now() });
    return rules;
  }

  /** Add an alias rule (pattern must compile; target must be a valid local username). */
  async addAlias(domain: string, pattern: unknown, target: unknown): Promise<AliasRule> {
    const d = checkDomain(domain);
    if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > 256) {
      throw new ValidationError('pattern must be a regular expression of 1-256 characters');
    }
    try {
      new RegExp(`^(?:${pattern})$`);
    } catch {
      throw new ValidationError('pattern is not a valid regular expression');
    }
    if (typeof target !== 'string') throw new ValidationError('target must be a username');
    const t = target.includes('@') ? target.slice(0, target.indexOf('@')) : target;
    checkUsername(t);
    const rule: AliasRule = { pattern, target: t };
    await this.actors.domain(d).mutate(async () => {
      const rules = await readAliases(this.root, d);
      if (rules.some((r) => r.pattern === pattern)) throw new ConflictError('Alias already exists');
      await writeAliases(this.root, d, [...rules, rule]);
    });
    this.aliasCache.delete(d);
    return rule;
  }

  /** Remove an alias rule by its exact pattern. */
  async removeAlias(domain: string, pattern: string): Promise<void> {
    const d = checkDomain(domain);
    await this.actors.domain(d).mutate(async () => {
      const rules = await readAliases(this.root, d);
      const rest = rules.filter((r) => r.pattern !== pattern);
      if (rest.length === rules.length) throw new NotFoundError('Alias not found');
      await writeAliases(this.root, d, rest);
    });
    this.aliasCache.delete(d);
  }

  /**
   * Resolve a local address to the account that receives it: the user itself, else the first
   * alias rule whose pattern matches the whole local part. Undefined when nobody.
   */
  async resolve(local: string, domain: string): Promise<AccountRecord | undefined> {
    const d = domain.toLowerCase();
    if (!this.servesDomain(d)) return undefined;
    const l = local.toLowerCase();
    const direct = await this.get(l, d);
    if (direct) return direct;
    for (const rule of await this.aliases(d)) {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${rule.pattern})$`, 'i');
      } catch {
        continue;
      }
      if (re.test(l)) return this.get(rule.target, d);
    }
    return undefined;
  }
}
