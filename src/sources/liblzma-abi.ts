// liblzma's ABI, as much of it as liblzma.ts uses: the stream struct's layout, the codes, the calls.
import type * as Koffi from 'koffi';

export const LZMA = {
  // lzma_stream on LP64: next_in, avail_in, total_in, next_out, avail_out, total_out, then 88 bytes
  // of allocator, internal state and reserved fields, all zero for LZMA_STREAM_INIT.
  STREAM_SIZE: 136,
  NEXT_IN: 0, AVAIL_IN: 8, NEXT_OUT: 24, AVAIL_OUT: 32,
  RUN: 0, FINISH: 3,
  OK: 0, STREAM_END: 1, MEMLIMIT_ERROR: 6, FORMAT_ERROR: 7,
  /** like `xz -dc`: a file of several .xz streams is one output */
  CONCATENATED: 0x08,
  /** A file that needs more is refused: a sosreport (preset 3) needs 5 MiB, `xz -9` 65 MiB. */
  MEMLIMIT: 256n << 20n,
} as const;

/** liblzma's return codes, worded as the xz program words them, so a report reads the same. */
export const LZMA_ERRORS: Record<number, string> = {
  5: 'Cannot allocate memory',
  6: 'Memory usage limit reached: the file needs more than 256 MiB to decompress, and neither the xz program nor lzma-native is here to do it (install xz-utils, or decompress it with xz -dc first)',
  7: 'File format not recognized',
  8: 'Unsupported options',
  9: 'Compressed data is corrupt',
  10: 'Unexpected end of input',
};

export interface Liblzma {
  streamDecoder: (strm: unknown, memlimit: bigint, flags: number) => number;
  /** koffi's function: called directly it runs here, `.async` runs it on koffi's thread */
  code: ((strm: unknown, action: number) => number) & { async: (strm: unknown, action: number, cb: (err: unknown, ret: number) => void) => void };
  end: (strm: unknown) => void;
}

/** liblzma's sonames: Linux, then macOS (Homebrew, MacPorts). */
const SONAMES = ['liblzma.so.5', 'liblzma.5.dylib'];

export function openLiblzma(koffi: typeof Koffi): Liblzma | undefined {
  // The offsets above are for 64-bit pointers and size_t.
  if (process.arch !== 'x64' && process.arch !== 'arm64') return undefined;
  for (const name of SONAMES) {
    let handle;
    try { handle = koffi.load(name); } catch { continue; }
    return {
      streamDecoder: handle.func('int lzma_stream_decoder(void *strm, uint64_t memlimit, uint32_t flags)'),
      code: handle.func('int lzma_code(void *strm, int action)'),
      end: handle.func('void lzma_end(void *strm)'),
    };
  }
  return undefined;
}
