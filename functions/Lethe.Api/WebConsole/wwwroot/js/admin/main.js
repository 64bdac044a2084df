// The admin console (/admin): sign-in, then one view per hash route. Every action goes through the public API with the
// signed-in token, so the API's guard decides what this page may do; the page only hides what the roles cannot do.

import { session } from '../api.js';
import { announce, h, replace } from '../dom.js';
import { renderSignIn } from '../signin.js';
import { renderJobs, renderJob } from './jobs.js';
import { renderSubmit } from './submit.js';
import { renderAudit } from './audit.js';
import { renderSettings } from './settings.js';
import { renderHolds } from './holds.js';
import { renderDeadlines } from './deadlines.js';
import { renderOutbox } from './outbox.js';
import { renderItems } from './items.js';
import { context } from './context.js';

const ADMIN_ROLES = ['tenant-admin', 'auditor', 'platform-admin'];

const views = [
  { path: 'jobs', label: 'Requests', render: renderJobs },
  { path: 'deadlines', label: 'Deadlines', render: renderDeadlines },
  { path: 'submit', label: 'Submit', render: renderSubmit, manage: true },
  { path: 'items', label: 'Inventory', render: renderItems },
  { path: 'audit', label: 'Audit', render: renderAudit },
  { path: 'settings', label: 'Settings', render: renderSettings, manage: true },
  { path: 'holds', label: 'Legal holds', render: renderHolds, manage: true },
  { path: 'notifications', label: 'Notifications', render: renderOutbox, manage: true },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let leave = null;
// Counts renders: a view that finishes loading after the user moved on draws into a detached slot and is stopped at once.
let generation = 0;

/** The route of the hash: `#/jobs/abc?status=running` → { path: 'jobs', id: 'abc', params }. */
function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [pathPart, queryPart] = hash.split('?');
  let path;
  let id;
  try {
    [path, id] = pathPart.split('/').map(decodeURIComponent);
  } catch {
    // A malformed escape in a hand-typed address: the requests list.
    [path, id] = ['jobs', undefined];
  }
  return { path: path || 'jobs', id, params: new URLSearchParams(queryPart ?? '') };
}

function renderHeader(claims) {
  if (!claims) {
    replace(nav);
    replace(who);
    return;
  }
  const current = route().path;
  replace(nav, h('ul', {}, views.filter(v => !v.manage || context.canManage).map(v =>
    h('li', {}, h('a', { href: `#/${v.path}`, 'aria-current': v.path === current ? 'page' : null }, v.label)))));
  const tenantControl = context.isPlatformAdmin
    ? h('form', { class: 'tenant-pick', onsubmit: event => {
      event.preventDefault();
      context.tenant = event.target.elements.tenant.value.trim();
      render();
    } },
      h('label', { for: 'tenant-pick' }, 'Tenant'),
      h('input', { id: 'tenant-pick', name: 'tenant', value: context.tenant, required: true, pattern: '[a-z0-9\\-]{1,40}', maxlength: 40, autocomplete: 'off' }),
      h('button', { type: 'submit' }, 'Open'))
    : h('span', {}, `Tenant ${context.tenant}`);
  replace(who, tenantControl, h('span', { class: 'identity' }, `${claims.sub} (${claims.roles.join(', ')})`),
    h('button', { type: 'button', onclick: () => {
      session.token = null;
      announce('Signed out.');
      render();
    } }, 'Sign out'));
}

export async function render() {
  const current = ++generation;
  if (leave) {
    leave();
    leave = null;
  }
  const claims = session.claims;
  if (!claims || !claims.roles.some(role => ADMIN_ROLES.includes(role))) {
    renderHeader(null);
    document.title = 'Sign in · Lethe admin';
    await renderSignIn(main, {
      roles: ['tenant-admin', 'auditor', 'platform-admin'],
      intro: 'The admin console is for tenant admins, auditors (read only) and platform admins.',
      refusal: claims ? 'This token holds none of the roles tenant-admin, auditor or platform-admin.' : null,
      onSignedIn: render,
    });
    return;
  }
  context.claims = claims;
  renderHeader(claims);
  if (!context.tenant) {
    document.title = 'Choose a tenant · Lethe admin';
    replace(main, h('h1', {}, 'Choose a tenant'), h('p', {}, 'As a platform admin you may look at any tenant: enter its id under Tenant at the top and choose Open.'));
    main.focus({ preventScroll: true });
    return;
  }
  const { path, id, params } = route();
  const found = path === 'jobs' && id ? { label: 'Request', render: renderJob } : views.find(v => v.path === path) ?? views[0];
  // A view that only managers use (submit, settings, holds) is not drawn for a read-only auditor who types its address.
  const view = found.manage && !context.canManage ? views[0] : found;
  document.title = `${view.label} · Lethe admin`;
  const slot = h('div', { class: 'view' });
  replace(main, slot);
  let stop = null;
  try {
    stop = (await view.render(slot, { id, params, navigate, refresh: render })) ?? null;
  } catch (error) {
    replace(slot, h('h1', {}, view.label), h('p', { class: 'status-error' }, error.message));
  }
  if (current !== generation) {
    stop?.();
    return;
  }
  leave = stop;
  main.focus({ preventScroll: true });
}

/** Changes the hash route (which renders the view). */
export function navigate(hash) {
  if (location.hash === hash) {
    render();
  } else {
    location.hash = hash;
  }
}

window.addEventListener('hashchange', render);
window.addEventListener('lethe:signed-out', event => {
  announce(event.detail, 'error');
  render();
});
render();
