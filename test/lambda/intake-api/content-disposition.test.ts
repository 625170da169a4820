import {
  asciiFallback,
  attachmentDisposition,
  encodeExtValue,
} from '../../../lambda/intake-api/content-disposition';

describe('attachmentDisposition (RFC 6266 / RFC 8187)', () => {
  it.each([
    ['report.pdf', `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`],
    ['my file.pdf', `attachment; filename="my file.pdf"; filename*=UTF-8''my%20file.pdf`],
    ['Über.pdf', `attachment; filename="_ber.pdf"; filename*=UTF-8''%C3%9Cber.pdf`],
    ['a"b.pdf', `attachment; filename="a_b.pdf"; filename*=UTF-8''a%22b.pdf`],
    ['a\\b.pdf', `attachment; filename="a_b.pdf"; filename*=UTF-8''a%5Cb.pdf`],
    [
      'x"; filename="evil.exe',
      `attachment; filename="x__ filename=_evil.exe"; filename*=UTF-8''x%22%3B%20filename%3D%22evil.exe`,
    ],
    ['100%.txt', `attachment; filename="100_.txt"; filename*=UTF-8''100%25.txt`],
    ["it's (1)*.txt", `attachment; filename="it's (1)*.txt"; filename*=UTF-8''it%27s%20%281%29%2A.txt`],
    ['😀.png', `attachment; filename="_.png"; filename*=UTF-8''%F0%9F%98%80.png`],
  ])('%j', (name, expected) => {
    expect(attachmentDisposition(name)).toBe(expected);
  });

  it('never lets a header break out: no CR, LF or quote in the fallback, only attr-chars and %XX in filename*', () => {
    for (const name of ['a\r\nSet-Cookie: x=1', 'a\u0000b', 'né\u202Eexe.pdf', '"";\\%']) {
      const fallback = asciiFallback(name);
      expect(fallback).toMatch(/^[\x20-\x7E]+$/);
      expect(fallback).not.toMatch(/["\\%;]/);
      expect(encodeExtValue(name)).toMatch(/^([A-Za-z0-9!#$&+.^_`|~-]|%[0-9A-F]{2})*$/);
    }
  });

  it('falls back to "download" when nothing of the name is ASCII', () => {
    expect(asciiFallback('日本')).toBe('__');
    expect(asciiFallback(' ')).toBe('download');
  });
});
