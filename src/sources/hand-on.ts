// A decoder's output that outlives the decoder's failure: destroy() would drop the chunks the reader
// has not taken yet, so the error is raised only once those are read — as `xz -dc` and zlib hand on
// the prefix of a cut file before they complain.
import { Readable, type ReadableOptions } from 'node:stream';

export abstract class HandOnReadable extends Readable {
  /** the error waiting for the buffered chunks to be read */
  protected failure: Error | undefined;

  constructor(opts?: ReadableOptions) {
    super(opts);
  }

  /** Fail after what is buffered has been read. */
  fail(e: Error): void {
    if (this.failure || this.destroyed) return;
    if (this.readableLength === 0) { this.destroy(e); return; }
    this.failure = e;
    // A _read waiting for a push that will never come would wait forever: an empty push ends it,
    // so _read runs again once the buffer is taken, and raises the error.
    this.push(Buffer.alloc(0));
  }

  /** First thing in _read: true (and the caller returns) once failing. */
  protected failing(): boolean {
    if (!this.failure) return false;
    if (this.readableLength === 0) this.destroy(this.failure);
    else this.push(Buffer.alloc(0));
    return true;
  }
}
