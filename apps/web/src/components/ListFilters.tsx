import type { TicketSort } from '@gittix/api-types';
import Form from 'next/form';
import { type ListFilters as Filters, SORT_LABEL } from '../lib/list-filters';
import styles from './ListFilters.module.css';

interface ListFiltersProps {
  /** The page the form reloads with its choices. */
  action: string;
  filters: Filters;
  /** Query values the page keeps (the search), carried as hidden fields. */
  keep?: Record<string, string>;
}

/** Sort and price range of a ticket list: a plain GET form, so it works before hydration. */
export function ListFilters({ action, filters, keep = {} }: ListFiltersProps) {
  return (
    <Form action={action} className={styles.filters} aria-label="Ticket filters">
      {Object.entries(keep).map(([name, value]) =>
        value ? <input key={name} type="hidden" name={name} value={value} /> : null,
      )}
      <div className={styles.sort}>
        <label htmlFor="list-sort">Sort</label>
        <select id="list-sort" name="sort" className="input" defaultValue={filters.sort}>
          {(Object.keys(SORT_LABEL) as TicketSort[]).map((sort) => (
            <option key={sort} value={sort}>
              {SORT_LABEL[sort]}
            </option>
          ))}
        </select>
      </div>
      <div className={styles.bound}>
        <label htmlFor="list-min">Min price</label>
        <input
          id="list-min"
          name="minPrice"
          className="input"
          inputMode="decimal"
          placeholder="$"
          defaultValue={filters.minPrice}
          autoComplete="off"
        />
      </div>
      <div className={styles.bound}>
        <label htmlFor="list-max">Max price</label>
        <input
          id="list-max"
          name="maxPrice"
          className="input"
          inputMode="decimal"
          placeholder="$"
          defaultValue={filters.maxPrice}
          autoComplete="off"
        />
      </div>
      <button type="submit" className="button button-secondary">
        Apply
      </button>
      {filters.problem && (
        <p className={`notice notice-warning ${styles.problem}`} role="status">
          {filters.problem}
        </p>
      )}
    </Form>
  );
}
