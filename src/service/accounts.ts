import {
  AccountKind, FieldLimits, isValidAccountName, normaliseAccountName, type Account,
} from '../domain/account.js';
import { DEFAULT_PUBLIC } from '../domain/monster.js';
import { withoutSecrets, type AccountRecord, type Store } from '../store/store.js';
import { refuse, success, type Result } from './errors.js';
import { hashPassword, verifyPassword, type ScryptCost } from './passwords.js';
import type { Bus } from '../bus/bus.js';
import { DEFAULT_LOGIN_LIMITS, SharedWindowCounter, type LoginLimits, type WindowCounter } from './rate-limiter.js';
import { isHex128, randomHex128, tokenDigest } from './secrets.js';

const TOKEN_RENEWAL_STEP_MS = 60 * 60_000;

export interface RegistrationInput {
  account: string;
  password: string;
  mail: string;
  name?: string | undefined;
  picture?: string | undefined;
  sex?: string | undefined;
  birthday?: string | undefined;
  sign?: string | undefined;
}

export type Credentials = { account: string; password: string } | { account: string; token: string };

export interface AccountServiceOptions {
  scryptCost: ScryptCost;
  tokenTtlMs: number;
  loginLimits?: LoginLimits;
}

/** Registration, login, and the token checks every authenticated request goes through. */
export class AccountService {
  private readonly failuresByAccount: WindowCounter;
  private readonly failuresByAddress: WindowCounter;
  private readonly attemptsByAddress: WindowCounter;
  /** Verified against when the account does not exist, so timing does not tell which names exist. */
  private decoyHash: Promise<string>;

  constructor(
    private readonly store: Store,
    private readonly options: AccountServiceOptions,
    bus: Bus,
  ) {
    const limits = options.loginLimits ?? DEFAULT_LOGIN_LIMITS;
    // Counted across every node of the deployment.
    this.failuresByAccount = new SharedWindowCounter(limits.failuresPerAccount, limits.windowMs, 'failures-by-account', bus);
    this.failuresByAddress = new SharedWindowCounter(limits.failuresPerAddress, limits.windowMs, 'failures-by-address', bus);
    this.attemptsByAddress = new SharedWindowCounter(limits.attemptsPerAddress, limits.windowMs, 'attempts-by-address', bus);
    this.decoyHash = hashPassword(randomHex128(), options.scryptCost);
  }

  async register(input: RegistrationInput): Promise<Result<Account>> {
    if (!input.account) return refuse('account-empty');
    if (!input.password) return refuse('password-empty');
    if (!input.mail) return refuse('mail-empty');
    const account = normaliseAccountName(input.account);
    if (!isValidAccountName(account)) return refuse('account-invalid');
    const fields = {
      password: input.password, mail: input.mail, name: input.name ?? '', picture: input.picture ?? '',
      sex: input.sex ?? '', birthday: input.birthday ?? '', sign: input.sign ?? '',
    };
    for (const [field, value] of Object.entries(fields)) {
      if (value.length > FieldLimits[field as keyof typeof fields]) return refuse('field-too-long');
    }
    // Checked first only to spare a costly hash; the unique index decides races.
    if (await this.store.accountByName(account)) return refuse('account-exists');
    const record: AccountRecord = {
      id: randomHex128(),
      account,
      kind: AccountKind.Person,
      name: fields.name.trim() || account,
      picture: fields.picture,
      sex: fields.sex,
      birthday: fields.birthday,
      sign: fields.sign,
      mail: fields.mail,
      createdAt: Date.now(),
      policy: 'approve',
      publicFields: [...DEFAULT_PUBLIC],
      passwordHash: await hashPassword(fields.password, this.options.scryptCost),
      passCodeHash: '',
    };
    if (!(await this.store.createAccount(record))) return refuse('account-exists');
    return success(withoutSecrets(record));
  }

  /**
   * Checks a password or a token. A password login issues a new token; a token login
   * returns the same token with its expiry pushed forward.
   */
  async login(credentials: Credentials, clientAddress: string): Promise<Result<{ account: AccountRecord; token: string }>> {
    const name = normaliseAccountName(credentials.account);
    if ('password' in credentials) {
      if (this.failuresByAccount.exhausted(name) || this.failuresByAddress.exhausted(clientAddress) || this.attemptsByAddress.exhausted(clientAddress)) {
        return refuse('too-many-attempts');
      }
      this.attemptsByAddress.add(clientAddress);
      const account = credentials.account.length <= 64 ? await this.store.accountByName(name) : null;
      const matches = await verifyPassword(credentials.password.slice(0, FieldLimits.password + 1), account?.passwordHash ?? (await this.decoyHash));
      if (!account || !matches || account.kind !== AccountKind.Person) {
        this.failuresByAccount.add(name);
        this.failuresByAddress.add(clientAddress);
        return refuse('wrong-credentials');
      }
      this.failuresByAccount.reset(name);
      const token = randomHex128();
      const now = Date.now();
      await this.store.insertToken(tokenDigest(token), account.id, now, now + this.options.tokenTtlMs);
      return success({ account, token });
    }

    if (this.failuresByAddress.exhausted(clientAddress)) return refuse('too-many-attempts');
    const owner = isHex128(credentials.token) ? await this.store.tokenAccount(tokenDigest(credentials.token), Date.now()) : null;
    if (!owner || owner.account.account !== name) {
      this.failuresByAddress.add(clientAddress);
      return refuse('wrong-credentials');
    }
    // Push the expiry forward at most once an hour per token: a durable write on every
    // token login would make reconnecting cost a disk flush.
    const renewed = Date.now() + this.options.tokenTtlMs;
    if (renewed - owner.expiresAt > TOKEN_RENEWAL_STEP_MS) await this.store.extendToken(tokenDigest(credentials.token), renewed);
    return success({ account: owner.account, token: credentials.token });
  }

  /** A token alone (account endpoints): its account, or null. Failures count per address. */
  async authenticateToken(token: string, clientAddress: string): Promise<Result<AccountRecord>> {
    if (this.failuresByAddress.exhausted(clientAddress)) return refuse('too-many-attempts');
    const owner = isHex128(token) ? await this.store.tokenAccount(tokenDigest(token), Date.now()) : null;
    if (!owner) {
      this.failuresByAddress.add(clientAddress);
      return refuse('auth-illegal');
    }
    return success(owner.account);
  }

  /** The minami HTTP authentication: an account id and one of its live tokens. */
  async authenticate(id: string, token: string): Promise<Result<AccountRecord>> {
    if (!id) return refuse('account-id-empty');
    if (!token) return refuse('auth-empty');
    if (!isHex128(id) || !isHex128(token)) return refuse('auth-illegal');
    const owner = await this.store.tokenAccount(tokenDigest(token), Date.now());
    return owner && owner.account.id === id ? success(owner.account) : refuse('auth-illegal');
  }

  async logout(token: string): Promise<void> {
    if (isHex128(token)) await this.store.deleteToken(tokenDigest(token));
  }

  async purgeExpiredTokens(): Promise<number> {
    return this.store.deleteExpiredTokens(Date.now());
  }

  stop(): void {
    this.failuresByAccount.stop();
    this.failuresByAddress.stop();
    this.attemptsByAddress.stop();
  }
}
