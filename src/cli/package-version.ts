/**
 * The `version` of a package.json text; null when the text is not JSON or has no version string.
 * Pure.
 */
export function readPackageVersion(text: string): string | null {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || !('version' in parsed)) return null;
    return typeof parsed.version === 'string' && parsed.version !== '' ? parsed.version : null;
  } catch {
    return null;
  }
}
