import { formatCountdown, spokenCountdown } from '../lib/countdown';
import styles from './Countdown.module.css';

/**
 * The ticking clock is a `timer` (not announced every second); a separate live
 * region speaks only when the coarse summary changes.
 */
export function Countdown({ remainingMs }: { remainingMs: number }) {
  return (
    <div className={styles.countdown}>
      <span className={styles.label} id="countdown-label">
        Time left to pay
      </span>
      <span role="timer" aria-labelledby="countdown-label" className={styles.clock}>
        {formatCountdown(remainingMs)}
      </span>
      <span className="visually-hidden" aria-live="polite">
        {spokenCountdown(remainingMs)}
      </span>
    </div>
  );
}
