/**
 * The PDF files of the clean corpus: Ghostscript's output, qpdf's linearized and QDF rewrites of it, and a legal
 * incremental update appended to one (checked by qpdf --check).
 */
import { readFileSync, writeFileSync } from 'node:fs';

import { run, type CorpusWriter } from './workspace';

/** PDF files (also page.ps, the PostScript page the archives reuse). */
export function addPdf({ out, add }: CorpusWriter): void {
  // PDF
  writeFileSync(
    out('page.ps'),
    '%!PS\n/Helvetica findfont 24 scalefont setfont 72 700 moveto (Stowage) show showpage\n',
  );
  add('gs.pdf', 'application/pdf', 'gs pdfwrite', () =>
    run('gs', [
      '-q',
      '-dBATCH',
      '-dNOPAUSE',
      '-dSAFER',
      '-sDEVICE=pdfwrite',
      `-sOutputFile=${out('gs.pdf')}`,
      out('page.ps'),
    ]),
  );
  add('qpdf-linearized.pdf', 'application/pdf', 'qpdf --linearize', () =>
    run('qpdf', ['--linearize', out('gs.pdf'), out('qpdf-linearized.pdf')]),
  );
  add('qpdf-qdf.pdf', 'application/pdf', 'qpdf --qdf --object-streams=disable', () =>
    run('qpdf', ['--qdf', '--object-streams=disable', out('gs.pdf'), out('qpdf-qdf.pdf')]),
  );
  add(
    'incremental.pdf',
    'application/pdf',
    'qpdf + appended incremental update (checked by qpdf --check)',
    () => {
      writeFileSync(out('incremental.pdf'), incrementalUpdate(readFileSync(out('qpdf-qdf.pdf'))));
      run('qpdf', ['--check', out('incremental.pdf')]);
    },
  );
}

/**
 * Appends a legal incremental update to a PDF with a classic xref table: a new Info dictionary, an xref section
 * for it and a trailer pointing back (/Prev) at the previous xref.
 */
function incrementalUpdate(pdf: Buffer): Buffer {
  const text = pdf.toString('latin1');
  const prevXref = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)?.[1]);
  const size = Number(/\/Size (\d+)/.exec(text)?.[1]);
  const rootRef = /\/Root (\d+ \d+ R)/.exec(text)?.[1];
  if (!Number.isFinite(prevXref) || !Number.isFinite(size) || !rootRef) {
    throw new Error('incrementalUpdate needs a PDF with a classic xref table');
  }
  const base = pdf.length;
  const object = `${size} 0 obj\n<< /Title (Updated) /Producer (stowage test) >>\nendobj\n`;
  const xrefAt = base + object.length;
  const update =
    object +
    `xref\n${size} 1\n${String(base).padStart(10, '0')} 00000 n \n` +
    `trailer\n<< /Size ${size + 1} /Root ${rootRef} /Info ${size} 0 R /Prev ${prevXref} >>\n` +
    `startxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.concat([pdf, Buffer.from(update, 'latin1')]);
}
