import { describe, expect, it } from 'vitest';
import { filterParams, listFiltersFrom } from '../src/lib/list-filters';

describe('listFiltersFrom', () => {
  it('when the URL has a sort and a price range, then they are kept as typed', () => {
    expect(
      listFiltersFrom({ sort: '-price', minPrice: '10', maxPrice: '$25.50' }, 'newest'),
    ).toEqual({
      sort: '-price',
      minPrice: '10',
      maxPrice: '25.50',
      problem: null,
    });
  });

  it('when the sort is unknown, then the page default is used', () => {
    expect(listFiltersFrom({ sort: 'cheapest' }, 'price').sort).toBe('price');
  });

  it.each([
    [{ minPrice: 'ten' }, /dollars/],
    [{ maxPrice: '1.999' }, /dollars/],
    [{ minPrice: '50', maxPrice: '10' }, /must not be above/],
  ])(
    'when the range %j cannot be used, then it is dropped and the page says why',
    (params, why) => {
      const filters = listFiltersFrom(params, 'newest');
      expect(filters).toMatchObject({ minPrice: '', maxPrice: '' });
      expect(filters.problem).toMatch(why);
    },
  );

  it('when the sort is the default, then it stays out of the query', () => {
    const filters = listFiltersFrom({ sort: 'price', minPrice: '5' }, 'price');
    expect(filterParams(filters, 'price')).toEqual({ sort: '', minPrice: '5', maxPrice: '' });
    expect(filterParams(filters, 'newest').sort).toBe('price');
  });
});
