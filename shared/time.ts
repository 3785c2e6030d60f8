/** Formats a date as `yyyy-MM-ddTHH:mm:ssZ`: ISO 8601 in UTC without milliseconds, as STS writes it and the mobile SDKs read it. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
