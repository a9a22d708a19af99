// The one table of errors our own disk raises, which no retry of the upstream fixes: a full disk
// (caching pauses until space is back) or a folder that refuses writes (read-only, permissions;
// a cache in it is still served, read-only).
export const diskErrors = {
  ENOSPC: 'full',
  EDQUOT: 'full',
  EROFS: 'not-writable',
  EACCES: 'not-writable',
  EPERM: 'not-writable',
} as const;

export type DiskErrorCode = keyof typeof diskErrors;
export type DiskErrorKind = (typeof diskErrors)[DiskErrorCode];

/** What a failed write says about our disk; undefined for any other error. */
export function diskErrorKind(errorOrCode: unknown): DiskErrorKind | undefined {
  const code = typeof errorOrCode === 'string' ? errorOrCode : (errorOrCode as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(diskErrors, code) ? diskErrors[code as DiskErrorCode] : undefined;
}

/** The errno code of a disk error (ENOSPC …), or undefined when the error is not one. */
export function diskErrorCode(error: unknown): DiskErrorCode | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return diskErrorKind(code) ? (code as DiskErrorCode) : undefined;
}
