// Requests (jobs): the filtered list with live progress, and one request with its actions, certificates and executions.

import { api, downloadExport, isTransient, query, seg } from '../api.js';
import { action, announce, badge, field, h, progressBar, replace, select, showError, table, time } from '../dom.js';
import { verifyCertificate } from '../certificate.js';
import { context } from './context.js';

const STATUSES = ['', 'awaiting-approval', 'queued', 'running', 'completed', 'failed', 'cancelled', 'denied'];
const TYPES = ['', 'deletion', 'export', 'retention-sweep', 'backup-scrub', 'audit-export', 'archive-retrieval', 'key-rotation',
  'erasure-replay', 'tenant-offboarding', 'ingest'];
const OPEN = ['queued', 'running', 'awaiting-approval'];
const REFRESH_MS = 2000;

/** A refusal that may pass (rate limit, our side, the network): the poll goes on, more slowly. */
/**
 * Polls while the view is shown; returns the function that stops it (the router calls it when the view changes). A transient
 * failure is shown and tried again with a growing delay; any other ends the polling.
 */
function poll(load) {
  let stopped = false;
  let timer = null;
  let delay = REFRESH_MS;
  const tick = async () => {
    if (stopped) {
      return;
    }
    let again = false;
    try {
      again = await load();
      delay = REFRESH_MS;
    } catch (error) {
      showError(error);
      again = isTransient(error);
      delay = Math.min(delay * 2, 30_000);
    }
    if (!stopped && again) {
      timer = setTimeout(tick, delay);
    }
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export const jobLink = job => h('a', { href: `#/jobs/${seg(job.id)}` }, job.id);

function subjectOf(job) {
  return job.subjectId ?? (job.subjectRef ? `ref ${job.subjectRef.slice(0, 12)}…` : '—');
}

/** One row of the list: what a privacy officer scans for. */
export function jobRow(job) {
  return [jobLink(job), job.type, badge(job.status), job.phase ?? '—', progressBar(job.progress, `Progress of ${job.id}`),
    time(job.eta), subjectOf(job), h('span', { class: job.overdue ? 'overdue' : '' }, `${time(job.deadline)}${job.overdue ? ' (overdue)' : ''}`),
    job.errors?.length ? `${job.errors.length} error(s)` : ''];
}

export const JOB_HEADERS = ['Request', 'Type', 'Status', 'Phase', 'Progress', 'ETA', 'Subject', 'Deadline', 'Errors'];

export function renderJobs(main, { params, navigate }) {
  const filters = {
    status: params.get('status') ?? '',
    type: params.get('type') ?? '',
    overdue: params.get('overdue') === 'true',
    subjectId: params.get('subjectId') ?? '',
  };
  const form = h('form', { class: 'filters', 'aria-label': 'Filter requests' },
    field('Status', select({ name: 'status' }, STATUSES.map(s => [s, s || 'any']), filters.status)),
    field('Type', select({ name: 'type' }, TYPES.map(t => [t, t || 'any']), filters.type)),
    field('Subject id', h('input', { name: 'subjectId', value: filters.subjectId, autocomplete: 'off' })),
    h('div', { class: 'field checkbox' }, h('input', { type: 'checkbox', id: 'overdue', name: 'overdue', checked: filters.overdue }),
      h('label', { for: 'overdue' }, 'Overdue only')),
    h('button', { type: 'submit' }, 'Apply'));
  form.addEventListener('submit', event => {
    event.preventDefault();
    const e = form.elements;
    navigate(`#/jobs${query({ status: e.status.value, type: e.type.value, subjectId: e.subjectId.value.trim(), overdue: e.overdue.checked ? 'true' : '' })}`);
  });
  const list = h('div', { class: 'list', 'aria-live': 'off' });
  const more = h('div', { class: 'pager' });
  replace(main, h('h1', {}, 'Requests'), form, list, more);

  let cursor = null;
  let pages = [];
  let shown = null;
  const load = async () => {
    const page = await api.get(`${context.base}/requests${query({ status: filters.status, type: filters.type, subjectId: filters.subjectId,
      overdue: filters.overdue ? 'true' : '', limit: 50 })}`);
    // Redrawn only when something changed (and not once more pages were loaded), so a refresh never takes the focus off a link.
    const text = JSON.stringify(page);
    if (pages.length <= 1 && text !== shown) {
      shown = text;
      pages = [page.items];
      cursor = page.nextCursor;
      draw();
    }
    return page.items.some(job => OPEN.includes(job.status));
  };
  const draw = () => {
    const jobs = pages.flat();
    replace(list, table(`${jobs.length} request(s)`, JOB_HEADERS, jobs.map(jobRow)));
    replace(more, cursor ? action('Load more', async () => {
      const page = await api.get(`${context.base}/requests${query({ status: filters.status, type: filters.type, subjectId: filters.subjectId,
        overdue: filters.overdue ? 'true' : '', limit: 50, cursor })}`);
      pages.push(page.items);
      cursor = page.nextCursor;
      draw();
    }) : null);
  };
  return poll(load);
}

/** A request: its state, live while it runs; the actions its status allows; certificates; executions. */
export function renderJob(main, { id }) {
  const base = `${context.base}/requests/${seg(id)}`;
  const summary = h('section', { 'aria-labelledby': 'job-title' });
  const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' });
  const errors = h('section', {});
  const certificates = h('section', { 'aria-labelledby': 'certificates-title' });
  const executions = h('section', { 'aria-labelledby': 'executions-title' });
  replace(main, h('p', {}, h('a', { href: '#/jobs' }, '← All requests')), summary, actions, errors, certificates, executions);

  // Parts with controls are redrawn only when what they show changed. The executions (a Step Functions read per execution)
  // are looked at every fifth refresh, when the state changes, and twice more after the request closes (its execution ends
  // a state after the job does).
  let shownState = null;
  let shownExecutions = null;
  let ticks = 0;
  let looksAfterClose = 2;
  const load = async () => {
    const job = await api.get(base);
    const open = OPEN.includes(job.status);
    drawSummary(summary, job);
    drawErrors(errors, job);
    const changed = `${job.status}|${job.phase}` !== shownState;
    if (changed) {
      shownState = `${job.status}|${job.phase}`;
      drawActions(actions, job, base, refresh);
      await drawCertificates(certificates, job, base);
    }
    if (changed || !open || ticks++ % 5 === 0) {
      shownExecutions = await drawExecutions(executions, base, shownExecutions);
    }
    return open || looksAfterClose-- > 0;
  };
  let stop = poll(load);
  const refresh = () => {
    stop();
    shownState = null;
    looksAfterClose = 2;
    stop = poll(load);
  };
  return () => stop();
}

function drawSummary(section, job) {
  const rows = [
    ['Type', job.type], ['Status', badge(job.status)], ['Phase', job.phase ?? '—'],
    ['Progress', progressBar(job.progress, 'Progress')], ['ETA', time(job.eta)], ['Subject', subjectOf(job)],
    ['Deadline', `${time(job.deadline)}${job.overdue ? ' (overdue)' : ''}`], ['Created', time(job.createdAt)],
    ['Updated', time(job.updatedAt)], ['Completed', time(job.completedAt)], ['Purge at', time(job.purgeAt)],
  ];
  if (job.download) {
    rows.push(['Download until', time(job.download.expiresAt)]);
  }
  replace(section, h('h1', { id: 'job-title' }, `Request ${job.id}`),
    h('dl', { class: 'facts' }, rows.map(([name, value]) => [h('dt', {}, name), h('dd', {}, value)])));
}

function drawErrors(section, job) {
  replace(section, job.errors?.length
    ? [h('h2', {}, 'Errors for manual review'), table('Items that failed after retries', ['Item', 'Message', 'At'],
      job.errors.map(e => [e.itemId, e.message, time(e.at)]))]
    : null);
}

function drawActions(group, job, base, refresh) {
  const buttons = [];
  const after = (message, then = refresh) => () => {
    announce(message, 'success');
    then();
  };
  if (context.canManage) {
    if (job.status === 'awaiting-approval') {
      buttons.push(action('Approve', async () => {
        await api.post(`${base}/approve`, {});
        after('Approved: the request starts.')();
      }));
      buttons.push(denyForm(base, after('Denied.')));
    }
    if (OPEN.includes(job.status) && ['deletion', 'export', 'retention-sweep'].includes(job.type)) {
      buttons.push(action('Cancel', async () => {
        await api.post(`${base}/cancel`, {});
        after('Cancelled.')();
      }, { class: 'danger' }));
    }
    if (job.status === 'failed') {
      buttons.push(action('Retry', async () => {
        await api.post(`${base}/retry`, {});
        after('Retry started: the failed items run again.')();
      }));
    }
    // Inside its recovery window an erasure's items can come back, also after it was cancelled (cancel does not undo).
    if (job.type === 'deletion' && ['validate', 'soft-delete', 'recovery-window', 'held'].includes(job.phase)
      && ['running', 'cancelled'].includes(job.status) && job.purgeAt && new Date(job.purgeAt) > new Date()) {
      buttons.push(action('Restore all items', async () => {
        const result = await api.post(`${base}/restore`, {});
        after(`Restored ${result?.restored ?? 'the'} item(s).`)();
      }));
    }
  }
  if (mayDownload(job) && job.download) {
    const parts = job.download.parts ?? 1;
    for (let part = 1; part <= parts; part++) {
      buttons.push(action(parts > 1 ? `Download part ${part}` : 'Download export', async () => {
        await downloadExport(context.tenant, job.id, parts > 1 ? part : undefined);
        announce('The download started.', 'success');
      }));
    }
  }
  if (job.type === 'deletion' && job.subjectId) {
    // Its items one by one (restore a single one inside the window): the subject's soft-deleted items in the inventory.
    buttons.push(h('a', { href: `#/items?subjectId=${encodeURIComponent(job.subjectId)}&state=soft_deleted` }, 'Soft-deleted items of this subject'));
  }
  replace(group, buttons.length ? [h('h2', { class: 'visually-hidden' }, 'Actions'), ...buttons] : null);
}

/** Who may download what (API.md): a subject's export admins; an audit export auditors too; an offboarding's platform admins. */
function mayDownload(job) {
  const roles = context.claims?.roles ?? [];
  switch (job.type) {
    case 'export':
      return roles.includes('tenant-admin') || roles.includes('platform-admin');
    case 'audit-export':
      return roles.some(role => ['auditor', 'tenant-admin', 'platform-admin'].includes(role));
    case 'tenant-offboarding':
      return roles.includes('platform-admin');
    default:
      return false;
  }
}

function denyForm(base, done) {
  const form = h('form', { class: 'inline' },
    field('Reason for denial', h('input', { name: 'reason', required: true, maxlength: 1000, autocomplete: 'off' })),
    h('button', { type: 'submit' }, 'Deny'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    try {
      await api.post(`${base}/deny`, { reason: form.elements.reason.value.trim() });
      done();
    } catch (error) {
      showError(error);
    }
  });
  return form;
}

async function drawCertificates(section, job, base) {
  if (job.type !== 'deletion' && job.type !== 'retention-sweep' && job.type !== 'backup-scrub' && job.type !== 'tenant-offboarding') {
    replace(section);
    return;
  }
  if (job.status !== 'completed') {
    replace(section, h('h2', { id: 'certificates-title' }, 'Certificate'), h('p', {}, 'The certificate is issued when the request completes.'));
    return;
  }
  const list = await api.get(`${base}/certificates`);
  const items = list.items ?? [];
  replace(section, h('h2', { id: 'certificates-title' }, 'Certificates'),
    items.length ? items.map(item => certificateCard(item)) : h('p', {}, 'No certificate was issued.'));
}

function certificateCard(document) {
  const result = h('p', { class: 'verify-result', role: 'status' });
  const certificate = document.certificate ?? {};
  const facts = Object.entries(certificate).filter(([, value]) => value === null || typeof value !== 'object')
    .map(([name, value]) => [h('dt', {}, name), h('dd', {}, String(value))]);
  return h('article', { class: 'card certificate' },
    h('h3', {}, `${certificate.type ?? 'Certificate'} ${certificate.id ?? ''}`.trim()),
    h('dl', { class: 'facts' }, facts, h('dt', {}, 'Key id'), h('dd', {}, document.keyId)),
    h('details', {}, h('summary', {}, 'Signed payload (canonical JSON)'), h('pre', {}, JSON.stringify(certificate, null, 2))),
    action('Verify signature', async () => {
      result.textContent = 'Verifying …';
      const outcome = await verifyCertificate(document, async keyId => {
        const response = await fetch(`/v1/certificates/public-keys/${seg(keyId)}`, { cache: 'no-store' });
        if (!response.ok) {
          throw new Error(`the key ${keyId} is not published (${response.status})`);
        }
        return response.text();
      });
      result.className = `verify-result ${outcome.valid ? 'status-success' : 'status-error'}`;
      result.textContent = outcome.valid ? 'valid: the signature matches the payload under the published key' : `invalid: ${outcome.reason}`;
    }),
    result);
}

/** Draws the executions when they differ from what is shown (returns what it showed, as text, for the next look). */
async function drawExecutions(section, base, shown) {
  let list;
  try {
    list = await api.get(`${base}/executions`);
  } catch (error) {
    replace(section, h('h2', { id: 'executions-title' }, 'Executions'), h('p', {}, error.message));
    return null;
  }
  const text = JSON.stringify(list);
  if (text === shown) {
    return shown;
  }
  const open = new Set([...section.querySelectorAll('details[open]')].map(node => node.dataset.name));
  replace(section, h('h2', { id: 'executions-title' }, 'Executions'),
    list.items.length ? list.items.map(execution => h('details', { class: 'execution', dataset: { name: execution.name }, open: open.has(execution.name) },
      h('summary', {}, `${execution.name} — ${execution.status} (started ${time(execution.startedAt)}${execution.stoppedAt ? `, stopped ${time(execution.stoppedAt)}` : ''})`),
      execution.consoleUrl ? h('p', {}, h('a', { href: execution.consoleUrl, rel: 'noopener noreferrer', target: '_blank' }, 'Open in the Step Functions console')) : null,
      table(`State history of ${execution.name}`, ['#', 'Time', 'Event', 'State', 'Error'],
        execution.events.map(e => [String(e.id), time(e.at), e.type, e.state ?? '', [e.error, e.cause].filter(Boolean).join(': ')]))))
      : h('p', {}, 'No execution has started (a request awaiting approval, or one that has not reached its workflow yet).'));
  return text;
}
