// The data subject's privacy page (/privacy): my requests and their status, request my export or erasure, download my export,
// my consents with grant and withdraw. Only a subject token signs in here; the API checks every call against its own subject.

import { api, downloadExport, idempotencyKey, isTransient, query, seg, session } from './api.js';
import { action, announce, badge, clearFormProblem, field, h, progressBar, replace, select, showError, showFormProblem, table, time } from './dom.js';
import { renderSignIn } from './signin.js';

const main = document.getElementById('main');
const who = document.getElementById('who');
const PURPOSES = ['ai-processing', 'analytics', 'marketing'];
let timer = null;

async function render() {
  clearTimeout(timer);
  const claims = session.claims;
  if (!claims || !claims.roles.includes('subject')) {
    replace(who);
    document.title = 'Sign in · My privacy';
    await renderSignIn(main, {
      roles: ['subject'],
      intro: 'Your privacy page shows what you asked of this service and lets you ask for a copy of your data or its erasure.',
      refusal: claims ? 'This page is for a data subject\'s own token.' : null,
      onSignedIn: render,
    });
    return;
  }
  document.title = 'My privacy';
  replace(who, h('span', { class: 'identity' }, `Signed in as ${claims.sub}`),
    h('button', { type: 'button', onclick: () => {
      session.token = null;
      announce('Signed out.');
      render();
    } }, 'Sign out'));
  const base = `/v1/tenants/${seg(claims.tenant)}`;
  const requests = h('section', { 'aria-labelledby': 'requests-title' });
  const consents = h('section', { 'aria-labelledby': 'consents-title' });
  shownRequests = null;
  replace(main, h('h1', {}, 'My privacy'), requests, askForm(base, claims.sub, () => loadRequests(requests, base, claims.sub, claims.tenant)), consents);
  await Promise.all([loadRequests(requests, base, claims.sub, claims.tenant), loadConsents(consents, base, claims.sub)]);
  main.focus({ preventScroll: true });
}

let shownRequests = null;

async function loadRequests(section, base, subject, tenant) {
  clearTimeout(timer);
  let page;
  try {
    page = await api.get(`${base}/requests${query({ subjectId: subject, limit: 50 })}`);
  } catch (error) {
    if (!session.token) {
      return; // signed out (an expired token): the sign-in page says why and nothing is looked at again
    }
    showError(error);
    if (isTransient(error)) {
      // Looked at again later: a rate limit or a failure on our side may pass; a refusal would not.
      timer = setTimeout(() => loadRequests(section, base, subject, tenant), 10_000);
    }
    return;
  }
  const mine = page.items.filter(job => job.type === 'deletion' || job.type === 'export');
  // Redrawn only when something changed, so a refresh never moves the keyboard focus.
  const text = JSON.stringify(mine.map(job => [job.id, job.status, job.progress, job.download?.expiresAt]));
  if (text === shownRequests) {
    schedule(section, base, subject, tenant, mine);
    return;
  }
  shownRequests = text;
  replace(section, h('h2', { id: 'requests-title' }, 'My requests'),
    table(`${mine.length} request(s)`, ['Request', 'Kind', 'Status', 'Progress', 'Asked', 'Deadline', ''],
      mine.map(job => [job.id, job.type === 'export' ? 'Copy of my data' : 'Erasure', badge(job.status), progressBar(job.progress, `Progress of ${job.id}`),
        time(job.createdAt), time(job.deadline),
        job.type === 'export' && job.status === 'completed' && job.download
          ? action('Download my data', async () => {
            await downloadExport(tenant, job.id);
            announce('Your download started.', 'success');
          }, { 'aria-label': `Download the export ${job.id}` })
          : ''])));
  schedule(section, base, subject, tenant, mine);
}

function schedule(section, base, subject, tenant, mine) {
  if (mine.some(job => ['queued', 'running', 'awaiting-approval'].includes(job.status))) {
    timer = setTimeout(() => loadRequests(section, base, subject, tenant), 3000);
  }
}

function askForm(base, subject, reload) {
  const form = h('form', { class: 'card', 'aria-labelledby': 'ask-title', novalidate: true },
    h('h2', { id: 'ask-title' }, 'Ask for my data or its erasure'),
    h('div', { class: 'form-errors', tabindex: '-1', hidden: true }),
    field('What do you ask for?', select({ name: 'type' }, [['export', 'A copy of my data (ZIP)'], ['deletion', 'Erase my data']], 'export')),
    field('Why (optional)', h('input', { name: 'reason', maxlength: 1000, autocomplete: 'off' })),
    h('button', { type: 'submit' }, 'Send request'));
  let key = idempotencyKey();
  form.addEventListener('submit', async event => {
    event.preventDefault();
    clearFormProblem(form);
    const type = form.elements.type.value;
    if (type === 'deletion' && !window.confirm('Erase your data? It can be restored only within the recovery window, and only by the service.')) {
      return;
    }
    try {
      const job = await api.post(`${base}/requests`, { type, subjectId: subject, reason: form.elements.reason.value.trim() || null },
        { headers: { 'Idempotency-Key': key } });
      key = idempotencyKey();
      announce(`Your request ${job.id} was received (${job.status}).`, 'success');
      form.reset();
      await reload();
    } catch (error) {
      showFormProblem(form, error);
    }
  });
  return form;
}

async function loadConsents(section, base, subject) {
  const path = `${base}/subjects/${seg(subject)}/consents`;
  let list;
  try {
    list = await api.get(path);
  } catch (error) {
    if (session.token) {
      replace(section, h('h2', { id: 'consents-title' }, 'My consents'),
        h('p', { class: 'status-error' }, `Your consents could not be read: ${error.message}`));
    }
    return;
  }
  const state = new Map(list.items.map(c => [c.purpose, c]));
  const purposes = [...new Set([...PURPOSES, ...state.keys()])];
  replace(section, h('h2', { id: 'consents-title' }, 'My consents'),
    table('What you agreed to', ['Purpose', 'Status', 'Changed', ''], purposes.map(purpose => {
      const consent = state.get(purpose);
      const granted = Boolean(consent?.granted);
      return [purpose, granted ? 'granted' : consent ? 'withdrawn' : 'not given', time(consent?.updatedAt),
        action(granted ? 'Withdraw' : 'Grant', async () => {
          await api.put(`${path}/${seg(purpose)}`, { granted: !granted });
          announce(`${purpose}: ${granted ? 'withdrawn' : 'granted'}.`, 'success');
          await loadConsents(section, base, subject);
        }, { 'aria-label': `${granted ? 'Withdraw' : 'Grant'} consent to ${purpose}` })];
    })));
}

window.addEventListener('lethe:signed-out', event => {
  announce(event.detail, 'error');
  render();
});
render().catch(error => announce(error.message, 'error'));
