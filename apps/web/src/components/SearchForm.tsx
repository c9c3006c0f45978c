import Form from 'next/form';
import styles from './SearchForm.module.css';

export function SearchForm({ query }: { query: string }) {
  return (
    <Form action="/" role="search" className={styles.search}>
      <label htmlFor="search-q" className="visually-hidden">
        Search tickets
      </label>
      <input
        id="search-q"
        name="q"
        type="search"
        className={`input ${styles.input}`}
        placeholder="Band, team or show"
        defaultValue={query}
        autoComplete="off"
        maxLength={120}
      />
      <button type="submit" className="button">
        Search
      </button>
    </Form>
  );
}
