// Who is signed in and which tenant the console looks at (a platform admin picks one; everyone else has the token's own).

const TENANT_KEY = 'lethe.admin.tenant';

export const context = {
  claims: null,

  get isPlatformAdmin() {
    return Boolean(this.claims?.roles.includes('platform-admin'));
  },

  /** Tenant admins and platform admins change things; an auditor only reads. */
  get canManage() {
    return Boolean(this.claims?.roles.some(role => role === 'tenant-admin' || role === 'platform-admin'));
  },

  get tenant() {
    // A platform admin's token names no tenant of its own to look at: they pick one (kept for this tab).
    return this.isPlatformAdmin ? sessionStorage.getItem(TENANT_KEY) ?? '' : this.claims?.tenant ?? '';
  },

  set tenant(value) {
    sessionStorage.setItem(TENANT_KEY, value);
  },

  /** The API path of the tenant, e.g. /v1/tenants/t1. */
  get base() {
    return `/v1/tenants/${encodeURIComponent(this.tenant)}`;
  },
};
