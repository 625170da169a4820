/**
 * The workload of the local-mode load test: the kinds of upload in the mix and their shares, the final status each
 * kind must reach, the plan that interleaves them, and the bytes each kind sends (small PDFs, with EICAR or under a
 * PNG name where the kind needs it).
 */
import { randomBytes } from 'node:crypto';

export type Kind =
  'clean' | 'eicar' | 'disguised' | 'duplicate-event' | 'form-reused' | 'form-reused-concurrent';
export type FinalStatus = 'processed' | 'quarantined' | 'error';

/** Share of each kind in the mix (sums to 1). */
export const MIX: readonly (readonly [Kind, number])[] = [
  ['clean', 0.5],
  ['eicar', 0.15],
  ['disguised', 0.15],
  ['duplicate-event', 0.1],
  ['form-reused', 0.05],
  ['form-reused-concurrent', 0.05],
];
/** The final status an upload of each kind may reach (at the same moment, either POST may be stored first). */
export const EXPECTED: Record<Kind, readonly FinalStatus[]> = {
  clean: ['processed'],
  eicar: ['quarantined'],
  disguised: ['quarantined'],
  'duplicate-event': ['processed'],
  'form-reused': ['processed'],
  'form-reused-concurrent': ['processed', 'quarantined'],
};
/** How many times the form of an upload of each kind is POSTed. */
export const POSTS: Record<Kind, number> = {
  clean: 1,
  eicar: 1,
  disguised: 1,
  'duplicate-event': 1,
  'form-reused': 2,
  'form-reused-concurrent': 2,
};
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
/** Test users the uploads are spread over (one JWT each). */
export const USERS = 8;

/** One upload of the run, and what became of it. */
export interface Upload {
  readonly index: number;
  readonly kind: Kind;
  readonly user: string;
  uploadId?: string;
  key?: string;
  final?: FinalStatus;
  verdict?: string;
  latencyMs?: number;
  failure?: string;
}

/** The mix in a fixed interleaving, so every stretch of the run carries every kind. */
export function planUploads(total: number): Upload[] {
  const uploads: Upload[] = [];
  const counts = MIX.map(([kind, share]) => [kind, Math.round(share * total)] as const);
  const remaining = new Map(counts);
  let index = 0;
  while (uploads.length < total) {
    for (const [kind] of counts) {
      const left = remaining.get(kind) ?? 0;
      if (left <= 0 && kind !== 'clean') continue;
      remaining.set(kind, left - 1);
      uploads.push({ index, kind, user: `load-user-${index % USERS}` });
      index += 1;
      if (uploads.length === total) break;
    }
  }
  return uploads;
}

export function reachedExpected(upload: Upload): boolean {
  return upload.final !== undefined && EXPECTED[upload.kind].includes(upload.final);
}

export function contentFor(kind: Kind): {
  body: Buffer;
  second?: Buffer;
  contentType: string;
  fileName: string;
} {
  const length = 1024 + Math.floor(Math.random() * 31 * 1024);
  const filler = randomBytes(length).toString('base64');
  switch (kind) {
    case 'clean':
    case 'duplicate-event':
      return { body: pdf(filler), contentType: 'application/pdf', fileName: 'report.pdf' };
    case 'form-reused':
    case 'form-reused-concurrent':
      // The form pins the size: a clean PDF with a comment as long as EICAR, then an EICAR PDF of the same size.
      return {
        body: pdf(filler, 'x'.repeat(EICAR.length)),
        second: pdf(randomBytes(length).toString('base64'), EICAR),
        contentType: 'application/pdf',
        fileName: 'form.pdf',
      };
    case 'eicar':
      return { body: pdf(filler, EICAR), contentType: 'application/pdf', fileName: 'invoice.pdf' };
    case 'disguised':
      return { body: pdf(filler), contentType: 'image/png', fileName: 'photo.png' };
  }
}

/** A small well-formed PDF carrying `text` (base64: no PDF string escapes needed) and an optional comment line. */
function pdf(text: string, comment?: string): Buffer {
  const stream = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',
    `<< /Length ${Buffer.byteLength(stream)} >>\nstream\n${stream}\nendstream`,
  ];
  let out = comment === undefined ? '%PDF-1.4\n' : `%PDF-1.4\n%${comment}\n`;
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out);
}
