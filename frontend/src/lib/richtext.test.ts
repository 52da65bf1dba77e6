import { describe, expect, it } from 'vitest';
import { parseRichText } from './richtext';

describe('parseRichText', () => {
  it('keeps plain text as one token', () => {
    expect(parseRichText('hello there')).toEqual([{ type: 'text', text: 'hello there' }]);
  });
  it('finds links without trailing punctuation', () => {
    expect(parseRichText('see https://sotto.im/a?b=1, ok')).toEqual([
      { type: 'text', text: 'see ' },
      { type: 'link', text: 'https://sotto.im/a?b=1', href: 'https://sotto.im/a?b=1' },
      { type: 'text', text: ', ok' },
    ]);
  });
  it('does not link other schemes', () => {
    expect(parseRichText('javascript:alert(1)')).toEqual([{ type: 'text', text: 'javascript:alert(1)' }]);
  });
  it('parses code, code blocks and emphasis; code stays literal', () => {
    expect(parseRichText('run `make *test*` now')).toEqual([
      { type: 'text', text: 'run ' },
      { type: 'code', text: 'make *test*' },
      { type: 'text', text: ' now' },
    ]);
    expect(parseRichText('```\nx = 1\n```')).toEqual([{ type: 'codeblock', text: 'x = 1' }]);
    expect(parseRichText('*bold* and _it_')).toEqual([
      { type: 'bold', text: 'bold' },
      { type: 'text', text: ' and ' },
      { type: 'italic', text: 'it' },
    ]);
  });
  it('leaves underscores inside words alone', () => {
    expect(parseRichText('snake_case_name')).toEqual([{ type: 'text', text: 'snake_case_name' }]);
  });
  it('never produces markup: tags stay text', () => {
    expect(parseRichText('<img src=x onerror=alert(1)>')).toEqual([{ type: 'text', text: '<img src=x onerror=alert(1)>' }]);
  });
});
