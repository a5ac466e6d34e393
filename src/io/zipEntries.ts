import { Inflate } from 'fflate';
import { crc32, crcHex } from '../store/checksum';
import { formatSize, IMPORT_LIMITS } from './importLimits';
import { errorMessage } from '../util/errorMessage';

/**
 * Reads a zip's central directory and inflates only the entries asked for, each into a buffer of
 * the size the zip declares for it (after that size is checked against a limit and the
 * compression ratio), never more than that, and verifies each entry's CRC-32. Why not fflate's
 * `unzipSync`: it inflates every entry, allocating each one's declared size (a 600 KB zip took
 * 512 MB; an entry declaring 4 GB reserved 4 GB), and never checks a CRC (a flipped bit in a
 * weight was imported silently). Pure: no DOM. ZIP64 and multi-disk zips are refused: sizes that
 * need them are far beyond what a model import reads.
 *
 * Every failure is a {@link ZipError} with a plain-text message naming the entry.
 */
class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate */
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  /** uncompressed size, as the central directory declares it */
  size: number;
  localOffset: number;
}

const EOCD_SIG = 0x06054b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const FULL32 = 0xffffffff;
/**
 * Compressed bytes fed to the inflater at a time: deflate expands at most ~1 032×, so an entry that
 * inflates past its declared size is stopped after at most ~max(declared size, 64 KB) more bytes.
 */
const chunkFor = (declared: number): number => Math.min(1 << 14, Math.max(64, Math.ceil(declared / 1024)));

const fail = (message: string): never => {
  throw new ZipError(message);
};

/** The zip's entries as its central directory lists them (no entry is read). */
export function listZipEntries(bytes: Uint8Array): ZipEntry[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  let eocd = -1;
  // The end-of-central-directory record is the last 22 bytes plus a comment of at most 65 535.
  for (let i = n - 22; i >= 0 && i >= n - 22 - 0xffff; i--) {
    if (dv.getUint32(i, true) === EOCD_SIG && i + 22 + dv.getUint16(i + 20, true) === n) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('It has no central directory: it is not a zip file, or it was cut off');
  const disk = dv.getUint16(eocd + 4, true);
  const cdDisk = dv.getUint16(eocd + 6, true);
  const count = dv.getUint16(eocd + 10, true);
  const cdSize = dv.getUint32(eocd + 12, true);
  const cdOffset = dv.getUint32(eocd + 16, true);
  if (disk !== 0 || cdDisk !== 0 || dv.getUint16(eocd + 8, true) !== count) fail('It is split over several disks, which this importer does not read');
  if (count === 0xffff || cdOffset === FULL32 || cdSize === FULL32) fail('It is a ZIP64 archive, larger than any model this app imports');
  if (count > IMPORT_LIMITS.zipEntries) fail(`It lists ${count} entries (at most ${IMPORT_LIMITS.zipEntries} are read)`);
  if (cdOffset + cdSize > eocd) fail('Its central directory lies outside the file (the zip is damaged or truncated)');

  const entries: ZipEntry[] = [];
  const names = new TextDecoder('utf-8');
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cdOffset + cdSize || dv.getUint32(p, true) !== CENTRAL_SIG) fail(`Its central directory is damaged at entry ${k + 1}`);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdOffset + cdSize) fail(`Its central directory is damaged at entry ${k + 1}`);
    entries.push({
      name: names.decode(bytes.subarray(p + 46, p + 46 + nameLen)),
      flags: dv.getUint16(p + 8, true),
      method: dv.getUint16(p + 10, true),
      crc: dv.getUint32(p + 16, true),
      compressedSize: dv.getUint32(p + 20, true),
      size: dv.getUint32(p + 24, true),
      localOffset: dv.getUint32(p + 42, true),
    });
    p = end;
  }
  return entries;
}

/**
 * One entry's bytes, inflated into a buffer of its declared size and checked: the declared size
 * is at most `maxBytes`, an entry over 1 MiB inflates at most 100× its compressed size, the data
 * inflate to exactly the declared size (inflation stops as soon as they would exceed it), and the
 * CRC-32 matches the central directory's.
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, maxBytes: number): Uint8Array {
  const { name, size, compressedSize } = entry;
  if (entry.flags & 1) fail(`${name} is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) fail(`${name} uses compression method ${entry.method} (this importer reads stored and deflated entries)`);
  if (size === FULL32 || compressedSize === FULL32 || entry.localOffset === FULL32) fail(`${name} is a ZIP64 entry, larger than any model this app imports`);
  if (size > maxBytes) fail(`${name} declares ${formatSize(size)} uncompressed, more than the ${formatSize(maxBytes)} this import reads`);
  const L = IMPORT_LIMITS;
  if (size > L.ratioFreeBytes && size > L.compressionRatio * compressedSize) {
    fail(
      `${name} would inflate ${Math.round(size / Math.max(1, compressedSize))}× (${formatSize(compressedSize)} to ${formatSize(size)}), ` +
        `more than the ${L.compressionRatio}× a model file can: this looks like a zip bomb; unzip it yourself and pick its files`,
    );
  }
  if (entry.method === 0 && compressedSize !== size)
    fail(`${name} is damaged: stored uncompressed, but its sizes differ (${compressedSize} and ${size} bytes)`);

  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localOffset;
  if (at + 30 > bytes.length || dv.getUint32(at, true) !== LOCAL_SIG) fail(`${name} is damaged: its local header is missing`);
  const start = at + 30 + dv.getUint16(at + 26, true) + dv.getUint16(at + 28, true);
  if (start + compressedSize > bytes.length) fail(`${name} is truncated: the zip ends before its ${formatSize(compressedSize)} of data`);
  const data = bytes.subarray(start, start + compressedSize);

  let out: Uint8Array;
  if (entry.method === 0) out = data.slice();
  else {
    out = new Uint8Array(size);
    let filled = 0;
    const inflater = new Inflate((chunk) => {
      if (filled + chunk.length > size) fail(`${name} is damaged: it inflates to more than the ${size} bytes it declares`);
      out.set(chunk, filled);
      filled += chunk.length;
    });
    try {
      const chunk = chunkFor(size);
      for (let i = 0; i < data.length || i === 0; i += chunk) inflater.push(data.subarray(i, i + chunk), i + chunk >= data.length);
    } catch (e) {
      if (e instanceof ZipError) throw e;
      fail(`${name} is damaged: its compressed data cannot be inflated (${errorMessage(e)})`);
    }
    if (filled !== size) fail(`${name} is damaged: it inflates to ${filled} bytes but declares ${size}`);
  }
  const crc = crc32(out);
  if (crc !== entry.crc) fail(`${name} is damaged: its CRC-32 is ${crcHex(crc)} but the zip records ${crcHex(entry.crc)} (a changed or corrupted byte)`);
  return out;
}
