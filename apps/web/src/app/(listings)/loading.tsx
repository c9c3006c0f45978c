import styles from './loading.module.css';

/**
 * The listings' skeleton while their data loads. Only listings get one: a loading
 * boundary starts the response as 200, so pages that can be a 404 (a ticket, an
 * order) stay outside this route group to answer with the real status.
 */
export default function Loading() {
  return (
    <div className={styles.loading} aria-busy="true">
      <p className="visually-hidden" role="status">
        Loading…
      </p>
      <div className={`${styles.bar} ${styles.heading}`} />
      <div className={`${styles.bar} ${styles.line}`} />
      <div className={styles.grid}>
        {['a', 'b', 'c', 'd', 'e', 'f'].map((key) => (
          <div key={key} className={styles.tile} />
        ))}
      </div>
    </div>
  );
}
