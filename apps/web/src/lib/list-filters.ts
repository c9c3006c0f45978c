import type { TicketSort } from '@gittix/api-types';
import { firstValue } from './tickets-query';

export const SORT_LABEL: Record<TicketSort, string> = {
  newest: 'Newest first',
  price: 'Cheapest first',
  '-price': 'Most expensive first',
};

export interface ListFilters {
  sort: TicketSort;
  minPrice: string;
  maxPrice: string;
  /** Why a filter from the URL was left out, for the page to say. */
  problem: string | null;
}

type SearchParams = Record<string, string | string[] | undefined>;

/** A price bound as typed: "", or dollars with at most 2 decimals. */
function priceBound(value: string): string | null {
  const cleaned = value.trim().replace(/^\$/, '');
  if (cleaned === '') return '';
  return /^\d{1,7}(\.\d{1,2})?$/.test(cleaned) && Number(cleaned) <= 1_000_000 ? cleaned : null;
}

/**
 * Sort and price range from a listing page's URL, checked before they reach the API
 * so a mistyped bound is pointed out instead of failing the page.
 */
export function listFiltersFrom(params: SearchParams, defaultSort: TicketSort): ListFilters {
  const sortValue = firstValue(params.sort);
  // Its own keys only: `toString` or `constructor` is "in" every object, and reached the API.
  const sort = Object.hasOwn(SORT_LABEL, sortValue) ? (sortValue as TicketSort) : defaultSort;
  const min = priceBound(firstValue(params.minPrice));
  const max = priceBound(firstValue(params.maxPrice));
  if (min === null || max === null) {
    return {
      sort,
      minPrice: '',
      maxPrice: '',
      problem: 'Prices are in dollars, like 25 or 25.50.',
    };
  }
  if (min !== '' && max !== '' && Number(min) > Number(max)) {
    return {
      sort,
      minPrice: '',
      maxPrice: '',
      problem: 'The lowest price must not be above the highest.',
    };
  }
  return { sort, minPrice: min, maxPrice: max, problem: null };
}

/** The filters as API (and page) query values; the default sort is left out. */
export function filterParams(
  filters: ListFilters,
  defaultSort: TicketSort,
): Record<string, string> {
  return {
    sort: filters.sort === defaultSort ? '' : filters.sort,
    minPrice: filters.minPrice,
    maxPrice: filters.maxPrice,
  };
}
