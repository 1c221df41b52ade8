// How much of a bundle is read: its own module, so that --help can show the defaults without
// loading the tar reader.
export const LIMITS = {
  /** decompressed bytes read from one entry; the rest is skipped and the report says so */
  entryBytes: 2 * 1024 ** 3,
  /** decompressed bytes read from one archive before giving up on it (compression bombs) */
  totalBytes: 32 * 1024 ** 3,
};

/** `2G`, `512M`: a limit as --max-entry-bytes takes it */
export function sizeArg(n: number): string {
  return n % 1024 ** 3 === 0 ? `${n / 1024 ** 3}G` : n % 1024 ** 2 === 0 ? `${n / 1024 ** 2}M` : String(n);
}
