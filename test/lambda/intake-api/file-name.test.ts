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

  describe('invisible characters, one class at a time', () => {
    it.each([
      ['soft hyphen U+00AD (Cf)', 'inv\u00ADoice.pdf', 'invoice.pdf'],
      ['combining grapheme joiner U+034F (default-ignorable mark)', 'inv\u034Foice.pdf', 'invoice.pdf'],
      ['Mongolian vowel separator U+180E (Cf)', 'inv\u180Eoice.pdf', 'invoice.pdf'],
      ['Arabic letter mark U+061C (bidi control)', 'a\u061Cb.pdf', 'ab.pdf'],
      ['LRE/RLE/PDF/LRO embeddings and overrides', '\u202Aa\u202Bb\u202Cc\u202Dd.pdf', 'abcd.pdf'],
      ['LRI/RLI/FSI/PDI isolates', '\u2066a\u2067b\u2068c\u2069.pdf', 'abc.pdf'],
      [
        'word joiner and invisible operators U+2060-2064',
        'a\u2060b\u2061c\u2062d\u2063e\u2064.pdf',
        'abcde.pdf',
      ],
      ['deprecated format controls U+206A-206F', 'a\u206Ab\u206F.pdf', 'ab.pdf'],
      ['Hangul fillers (default-ignorable letters)', '\u3164a\u115Fb\uFFA0.pdf', 'ab.pdf'],
      ['Khmer inherent vowels U+17B4/17B5', 'a\u17B4\u17B5b.pdf', 'ab.pdf'],
      ['Mongolian free variation selectors U+180B-180D', 'a\u180Bb.pdf', 'ab.pdf'],
      ['interlinear annotation characters U+FFF9-FFFB', 'a\uFFF9b\uFFFAc\uFFFB.pdf', 'abc.pdf'],
      ['unassigned default-ignorables U+FFF0', 'a\uFFF0b.pdf', 'ab.pdf'],
      ['shorthand format controls U+1BCA0', 'a\u{1BCA0}b.pdf', 'ab.pdf'],
      ['musical symbol format controls U+1D173', 'a\u{1D173}b.pdf', 'ab.pdf'],
      ['tag characters smuggling text', 'a\u{E0001}\u{E0068}\u{E0069}b.pdf', 'ab.pdf'],
      ['a zero-width joiner at the start, the end or doubled', '\u200Da\u200D\u200Db\u200D.pdf', 'ab.pdf'],
      ['a zero-width non-joiner beside a space', 'a \u200Cb.pdf', 'a b.pdf'],
      ['a variation selector with nothing to select', '\uFE0Fa \uFE0F\uFE0Fb.pdf', 'a b.pdf'],
    ])('%s: %j → %j', (_case, raw, expected) => {
      // Act / Assert
      expect(sanitizeFileName(raw)).toBe(expected);
    });

    it.each([
      ['an emoji ZWJ sequence', '👩🏽‍💻 memo.webm'],
      ['an emoji with its presentation selector', '🎙️ memo.webm'],
      ['a Persian name with a zero-width non-joiner', 'می\u200Cخواهم.pdf'],
      ['a Devanagari conjunct with a joiner', 'क्\u200Dष.pdf'],
      ['an ideographic variation sequence', '葛\u{E0100}飾.pdf'],
      [
        'a subdivision flag (emoji tag sequence)',
        '🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} trip.png',
      ],
    ])('keeps %s', (_case, raw) => {
      // Act / Assert
      expect(sanitizeFileName(raw)).toBe(raw.normalize('NFC'));
    });

    it('leaves no Cf or default-ignorable character outside the kept sequences in any code point of the BMP', () => {
      // Arrange: every invisible BMP code point between two letters.
      const invisible: string[] = [];
      for (let code = 0; code <= 0xffff; code++) {
        if (code >= 0xd800 && code <= 0xdfff) continue;
        const character = String.fromCodePoint(code);
        if (/[\p{Cf}\p{Default_Ignorable_Code_Point}]/u.test(character)) invisible.push(character);
      }
      // Act
      const survivors = invisible.filter(
        (character) => sanitizeFileName(`a\u0020${character}\u0020b.pdf`) !== 'a b.pdf',
      );
      // Assert
      expect(invisible.length).toBeGreaterThan(70);
      expect(survivors.map((c) => c.codePointAt(0)!.toString(16))).toEqual([]);
    });
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
