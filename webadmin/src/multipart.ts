// Just enough multipart/form-data for the restore form: small text fields and one file, read
// into memory with a size limit (a settings backup is a few kilobytes).
export interface MultipartForm {
  readonly fields: Record<string, string>;
  readonly files: Record<string, Buffer>;
}

export function parseMultipart(body: Buffer, contentType: string | undefined): MultipartForm | null {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary || !/^multipart\/form-data/i.test(contentType ?? '')) return null;
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: Record<string, string> = {};
  const files: Record<string, Buffer> = {};
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) return null;
    const part = body.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) return null;
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const content = part.subarray(headerEnd + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name !== undefined) {
      if (/filename="/i.test(headers)) files[name] = Buffer.from(content);
      else fields[name] = content.toString('utf8');
    }
    pos = next;
  }
  return { fields, files };
}
