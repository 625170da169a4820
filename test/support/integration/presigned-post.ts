/**
 * Sends a browser-style presigned POST: a multipart/form-data body with every policy field first and the file
 * last (S3 ignores fields after `file`), through Node's own fetch and FormData.
 */
export async function postPresignedForm(
  url: string,
  fields: Readonly<Record<string, string>>,
  file: Uint8Array,
  fileName = 'upload.bin',
): Promise<{ readonly status: number; readonly body: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file]), fileName);
  const response = await fetch(url, { method: 'POST', body: form });
  return { status: response.status, body: await response.text() };
}
