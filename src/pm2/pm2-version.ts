/**
 * The pm2 releases pm2-self supports, and the check of a daemon's reported version against them.
 * The range is what the per-release test suites run (5.4.3, 6.0.14, 7.0.4); see docs/compatibility.md.
 */

/** The supported pm2 daemon versions: at least `min`, and a major version below `belowMajor`. */
export const SUPPORTED_PM2 = {
  /** The oldest supported release, as `[major, minor, patch]`. */
  min: [5, 4, 0],
  /** The first major version not supported. */
  belowMajor: 8,
  /** The range in semver notation, for messages and docs. */
  range: '>=5.4.0 <8.0.0',
} as const;

/** The outcome of {@link checkPm2Version}. */
export type Pm2VersionCheck =
  | { readonly ok: true; readonly version: string }
  | {
      readonly ok: false;
      /** The version the daemon reported, or null when its answer was not a version. */
      readonly version: string | null;
      readonly message: string;
    };

const VERSION = /^v?(\d{1,6})\.(\d{1,6})\.(\d{1,6})(?:[-+][0-9A-Za-z.+-]{0,64})?$/;

/** `[major, minor, patch]` of a version string, or undefined for anything else. */
export function parsePm2Version(value: unknown): readonly [number, number, number] | undefined {
  if (typeof value !== 'string') return undefined;
  const match = VERSION.exec(value.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function atLeast(version: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const a = version[i] as number;
    const b = min[i] as number;
    if (a !== b) return a > b;
  }
  return true;
}

/**
 * Checks the answer of the daemon's `getVersion` RPC method against {@link SUPPORTED_PM2}. Pure.
 * A pre-release counts as the release it precedes (`6.0.0-beta.1` as 6.0.0). An answer that is not a
 * version is not supported: pm2-self does not guess what such a daemon does.
 */
export function checkPm2Version(reported: unknown): Pm2VersionCheck {
  const parsed = parsePm2Version(reported);
  if (parsed === undefined) {
    const shown = typeof reported === 'string' ? JSON.stringify(reported.slice(0, 40)) : typeof reported;
    return {
      ok: false,
      version: null,
      message: `the pm2 daemon did not report a version (got ${shown}); supported: pm2 ${SUPPORTED_PM2.range}`,
    };
  }
  const version = (reported as string).trim();
  if (atLeast(parsed, SUPPORTED_PM2.min) && parsed[0] < SUPPORTED_PM2.belowMajor)
    return { ok: true, version };
  return {
    ok: false,
    version,
    message: `pm2 daemon ${version} is not supported; supported: pm2 ${SUPPORTED_PM2.range}`,
  };
}
