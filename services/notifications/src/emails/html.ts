import { htmlEscape } from 'escape-goat';

/** Markup whose every interpolated value was escaped: only the `html` tag makes one. */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

type Interpolation = string | number | Html | readonly Html[];

const fragment = (value: Interpolation): string => {
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map((each: Html) => each.markup).join('');
  return htmlEscape(String(value));
};

/**
 * A template literal tag: strings and numbers are escaped (escape-goat), markup made by
 * this tag is kept as it is. Values can only reach the markup through it.
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let markup = strings[0] ?? '';
  values.forEach((value, i) => {
    markup += fragment(value) + (strings[i + 1] ?? '');
  });
  return new Html(markup);
}
