/** Until API keys arrive, every caller is the one development tenant. */
export const DEV_TENANT = 'default';

export function tenantOf(_headers: Record<string, string | string[] | undefined>): string {
  return DEV_TENANT;
}
