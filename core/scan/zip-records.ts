/**
 * The ZIP record layout the zip walker reads (PKWARE APPNOTE 4.3): the record signatures and the fields of a local
 * file header (with its zip64 extra field), a central directory header, a data descriptor and the end of central
 * directory record. Pure byte reading without state; zip-walker.ts decides what the fields mean for the walk.
 */

export const LOCAL = 0x04034b50;
export const CENTRAL = 0x02014b50;
export const DESCRIPTOR = 0x08074b50;
export const ZIP64_END = 0x06064b50;
export const ZIP64_LOCATOR = 0x07064b50;
export const END = 0x06054b50;

/** One entry as its local file header declares it. */
export interface ZipEntry {
  readonly name: string;
  readonly where: string;
  readonly method: number;
  readonly streamed: boolean;
  readonly zip64: boolean;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly encrypted: boolean;
}

/** Name length of a local file header (`local`: its 26 bytes after the signature). */
export function localNameLength(local: Buffer): number {
  return local.readUInt16LE(22);
}

/** Extra field length of a local file header (`local`: its 26 bytes after the signature). */
export function localExtraLength(local: Buffer): number {
  return local.readUInt16LE(24);
}

/**
 * The entry a local file header declares: `local` is its 26 bytes after the signature, `namesAndExtra` the name and
 * extra field that follow; `path` is the archive's own path (the entry's `where` is `path!name`).
 */
export function readLocalEntry(local: Buffer, namesAndExtra: Buffer, path: string): ZipEntry {
  const flags = local.readUInt16LE(2);
  const nameLength = localNameLength(local);
  const name = namesAndExtra.subarray(0, nameLength).toString(flags & 0x800 ? 'utf8' : 'latin1');
  let compressedSize = local.readUInt32LE(14);
  let size = local.readUInt32LE(18);
  const zip64 = findExtra(namesAndExtra.subarray(nameLength), 0x0001);
  if (zip64) {
    let at = 0;
    if (size === 0xffffffff && zip64.length >= at + 8) {
      size = Number(zip64.readBigUInt64LE(at));
      at += 8;
    }
    if (compressedSize === 0xffffffff && zip64.length >= at + 8) {
      compressedSize = Number(zip64.readBigUInt64LE(at));
    }
  }
  return {
    name,
    where: `${path}!${name}`,
    method: local.readUInt16LE(4),
    streamed: (flags & 0x08) !== 0,
    zip64: zip64 !== undefined,
    crc: local.readUInt32LE(10),
    compressedSize,
    size,
    encrypted: (flags & 0x01) !== 0 || local.readUInt16LE(4) === 99,
  };
}

/** Bytes of name, extra field and comment after a central directory header's 42 fixed bytes. */
export function centralVariableLength(central: Buffer): number {
  return central.readUInt16LE(24) + central.readUInt16LE(26) + central.readUInt16LE(28);
}

/** CRC-32 and sizes of a data descriptor (`body`: CRC-32, then two sizes of 4 bytes, or of 8 with zip64). */
export function readDescriptor(
  body: Buffer,
  zip64: boolean,
): { readonly crc: number; readonly compressedSize: number; readonly size: number } {
  return {
    crc: body.readUInt32LE(0),
    compressedSize: zip64 ? Number(body.readBigUInt64LE(4)) : body.readUInt32LE(4),
    size: zip64 ? Number(body.readBigUInt64LE(12)) : body.readUInt32LE(8),
  };
}

/** The fields of an end of central directory record the walk checks (`bytes`: its 18 bytes after the signature). */
export function readEndRecord(bytes: Buffer): {
  readonly total: number;
  readonly cdOffset: number;
  readonly commentLength: number;
} {
  return {
    total: bytes.readUInt16LE(6),
    cdOffset: bytes.readUInt32LE(12),
    commentLength: bytes.readUInt16LE(16),
  };
}

/** The data of extra field `id` in a zip extra block, if present. */
function findExtra(extra: Buffer, id: number): Buffer | undefined {
  for (let at = 0; at + 4 <= extra.length;) {
    const size = extra.readUInt16LE(at + 2);
    if (extra.readUInt16LE(at) === id) return extra.subarray(at + 4, at + 4 + size);
    at += 4 + size;
  }
  return undefined;
}
