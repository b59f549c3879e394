/**
 * Recording audit events and counting them for metrics, in one call.
 * Services say what happened; this decides where it goes.
 */
import type { Clock } from './clock.js';
import type { AuditRepository, NewAuditEvent } from './ports.js';

/** Who made the request: carried from HTTP into services, recorded with events. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export const noMeta: RequestMeta = { ip: null, userAgent: null };

export type AuditType =
  | 'register'
  | 'login_succeeded'
  | 'login_failed'
  | 'refresh'
  | 'refresh_reuse_detected'
  | 'logout'
  | 'session_revoked'
  | 'password_changed'
  | 'profile_updated'
  | 'user_deactivated'
  | 'keys_rotated'
  | 'otp_requested'
  | 'otp_failed'
  | 'otp_used'
  | 'password_reset'
  | 'email_verified'
  | 'signup_for_taken_email'
  | 'rate_limited'
  | 'second_factor_required'
  | 'second_factor_failed'
  | 'totp_enabled'
  | 'totp_disabled'
  | 'recovery_codes_generated'
  | 'recovery_code_used'
  | 'passkey_added'
  | 'passkey_renamed'
  | 'passkey_removed'
  | 'reauthenticated'
  | 'oauth_failed'
  | 'identity_linked'
  | 'identity_unlinked'
  // API.md §10 (the account's own, roles, administration)
  | 'email_change_requested'
  | 'email_changed'
  | 'account_deleted'
  | 'data_exported'
  | 'roles_changed'
  | 'user_reactivated'
  | 'user_unlocked';

/** Counters other layers can observe (Prometheus in http/metrics.ts). */
export interface AuthEvents {
  count(type: AuditType, n?: number): void;
  /** Sessions ended (each one, however many an event ended). */
  revoked(n: number): void;
}

export const noEvents: AuthEvents = { count: () => {}, revoked: () => {} };

export interface Audit {
  /** `actorId`: the admin who acted on `userId` (admin operations). */
  record(
    type: AuditType,
    userId: string | null,
    meta: RequestMeta,
    detail?: Record<string, unknown>,
    actorId?: string | null,
  ): Promise<void>;
  /**
   * The same, for an event that `write` stores along with rows of its own (a sign-in's, in
   * one statement). Counted once written, like every event.
   */
  recordWith(
    type: AuditType,
    userId: string | null,
    meta: RequestMeta,
    detail: Record<string, unknown> | undefined,
    write: (event: NewAuditEvent) => Promise<unknown>,
  ): Promise<void>;
}

export function createAudit({
  repo,
  clock,
  events = noEvents,
  onUserEvent,
}: {
  repo: AuditRepository;
  clock: Clock;
  events?: AuthEvents;
  /** Told the account of every event written: every change to an account is audited (the user cache listens). */
  onUserEvent?: (userId: string) => void;
}): Audit {
  const audit: Audit = {
    async recordWith(type, userId, meta, detail, write) {
      // `write` answers false when it turned out not to write the event (a rotation refused).
      const written = await write({
        type,
        userId,
        ip: meta.ip,
        userAgent: meta.userAgent,
        at: new Date(clock.now()),
        detail: detail ?? null,
      });
      if (written === false) return;
      events.count(type);
      if (userId) onUserEvent?.(userId);
    },
    record: (type, userId, meta, detail, actorId) =>
      audit.recordWith(type, userId, meta, detail, (event) => repo.record(actorId ? { ...event, actorId } : event)),
  };
  return audit;
}
