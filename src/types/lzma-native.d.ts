declare module 'lzma-native' {
  import type { Transform } from 'node:stream';
  const lzma: { createDecompressor(): Transform };
  export default lzma;
}
