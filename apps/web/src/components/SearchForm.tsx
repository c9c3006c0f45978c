import Form from 'next/form';
import styles from './SearchForm.module.css';

interface SearchFormProps {
  query: string;
  /** The page the search reloads; the front page's tickets unless told. */
  action?: string;
  label?: string;
  placeholder?: string;
}

export function SearchForm({
  query,
  action = '/',
  label = 'Search tickets',
  placeholder = 'Band, team or show',
}: SearchFormProps) {
  return (
    <Form action={action} role="search" className={styles.search}>
      <label htmlFor="search-q" className="visually-hidden">
        {label}
      </label>
      <input
        id="search-q"
        name="q"
        type="search"
        className={`input ${styles.input}`}
        placeholder={placeholder}
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
