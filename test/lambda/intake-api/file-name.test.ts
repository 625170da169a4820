import { MAX_FILE_NAME_BYTES, sanitizeFileName } from '../../../lambda/intake-api/file-name';

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('sanitizeFileName', () => {
  it.each([
    ['a plain name', 'report.pdf', 'report.pdf'],
    ['path traversal', '../../etc/passwd', 'passwd'],
    ['an absolute POSIX path', '/var/tmp/a.pdf', 'a.pdf'],
    ['a Windows path', 'C:\\x\\y.pdf', 'y.pdf'],
    ['mixed separators', 'a/b\\c/d.pdf', 'd.pdf'],
    ['a UNC path', '\\\\server\\share\\memo.webm', 'memo.webm'],
    ['a drive-relative name', 'C:memo.pdf', 'C_memo.pdf'],
    ['C0 controls, DEL and C1 controls', 'a\u0000b\u0007c\u001b\u007fd\u0085e.pdf', 'abcde.pdf'],
    ['newlines and tabs', 'line1\nline2\r\tend.pdf', 'line1line2end.pdf'],
    ['a right-to-left override', 'invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['bidi isolates and marks', '\u2067a\u2069\u200Fb\u200E.pdf', 'ab.pdf'],
    ['zero-width space and BOM', '\uFEFFre\u200Bport.pdf', 'report.pdf'],
    ['leading dots (hidden file)', '.bashrc', 'bashrc'],
    ['leading dots and spaces', ' . ..secret.pdf', 'secret.pdf'],
    ['trailing dots and spaces', 'report.pdf. . ', 'report.pdf'],
    ['whitespace runs', 'my   voice \u00a0 memo.webm', 'my voice memo.webm'],
    ['Windows-reserved characters', 'a<b>c:d"e|f?g*h.pdf', 'a_b_c_d_e_f_g_h.pdf'],
    ['decomposed Unicode (NFD → NFC)', 'Cafe\u0301.pdf', 'Caf\u00e9.pdf'],
    ['emoji', '🎙️ memo 👩🏽‍💻.webm', '🎙️ memo 👩🏽‍💻.webm'],
    ['a lone surrogate', 'a\uD800b.pdf', 'ab.pdf'],
    ['non-Latin scripts', 'Привет мир.pdf', 'Привет мир.pdf'],
  ])('%s: %j → %j', (_case, raw, expected) => {
    // Act / Assert
    expect(sanitizeFileName(raw)).toBe(expected);
  });

  it.each([
    ['empty', ''],
    ['only dots', '..'],
    ['a trailing separator', 'dir/'],
    ['a traversal to nothing', '../../'],
    ['only controls', '\u0000\u0001\u202E'],
    ['only spaces', '   '],
  ])('returns an empty name for %s (%j), which callers reject', (_case, raw) => {
    // Act / Assert
    expect(sanitizeFileName(raw)).toBe('');
  });

  it('never keeps a separator, a control character or a leading dot', () => {
    // Arrange
    const hostile = ['..\\..\\a/.b', '\u0000/../.\u202E.x', 'a/\u0085.b\\..c'];

    // Act
    const names = hostile.map((raw) => sanitizeFileName(raw));

    // Assert
    for (const name of names) expect(name).not.toMatch(/[/\\\p{Cc}\u202E]|^\./u);
  });

  it('caps a long name at 200 UTF-8 bytes, keeping the extension', () => {
    // Act
    const name = sanitizeFileName(`${'a'.repeat(500)}.pdf`);

    // Assert
    expect(MAX_FILE_NAME_BYTES).toBe(200);
    expect(name).toBe(`${'a'.repeat(196)}.pdf`);
  });

  it('caps multi-byte names on character boundaries', () => {
    // Act
    const name = sanitizeFileName(`${'ä'.repeat(300)}.webm`);

    // Assert
    expect(utf8Bytes(name)).toBeLessThanOrEqual(200);
    expect(name).toBe(`${'ä'.repeat(97)}.webm`);
  });

  it('never cuts an emoji sequence in half', () => {
    // Arrange
    const family = '👨‍👩‍👧'; // 18 bytes, one grapheme

    // Act
    const name = sanitizeFileName(`${family.repeat(20)}.pdf`);

    // Assert
    expect(utf8Bytes(name)).toBeLessThanOrEqual(200);
    expect(name).toBe(`${family.repeat(10)}.pdf`);
  });

  it('truncates an over-long extension with the rest of the name', () => {
    // Act
    const name = sanitizeFileName(`a.${'x'.repeat(300)}`);

    // Assert
    expect(utf8Bytes(name)).toBe(200);
    expect(name.startsWith('a.xxx')).toBe(true);
  });

  it('strips leading dots before capping a name without an extension', () => {
    // Act
    const name = sanitizeFileName(`${'.'.repeat(5)}${'b'.repeat(300)}`);

    // Assert
    expect(name).toBe('b'.repeat(200));
  });
});
