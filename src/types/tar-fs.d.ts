declare module 'tar-fs' {
  import type { Readable } from 'node:stream';

  export interface PackHeader {
    name: string;
    mode?: number;
    uid?: number;
    gid?: number;
    mtime?: Date;
    [key: string]: unknown;
  }

  export interface PackOptions {
    entries?: string[];
    dereference?: boolean;
    map?: (header: PackHeader) => PackHeader;
    ignore?: (name: string) => boolean;
  }

  export function pack(cwd: string, opts?: PackOptions): Readable;
}
