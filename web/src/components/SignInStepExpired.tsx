import { Link } from '../router';
import { AuthCard } from './Shell';

/** A second sign-in step opened without its first (reloaded, or after it timed out). */
export function SignInStepExpired({ title, back }: { title: string; back: string }) {
  return (
    <AuthCard title={title}>
      <p className="notice">This sign-in step has expired. Please sign in again.</p>
      <Link href={back}>Back to sign in</Link>
    </AuthCard>
  );
}
