// The audit trail: browse by time range, export what is shown (CSV or JSON), and verify the hash chain.

import { api, call, query, saveText } from '../api.js';
import { action, announce, field, h, replace, showFormProblem, table, time } from '../dom.js';
import { context } from './context.js';

const PAGE = 100;

/** A datetime-local value (the user's local time) as ISO 8601 UTC, or '' when empty. */
const iso = value => (value ? new Date(value).toISOString() : '');

export function renderAudit(main, { params, navigate }) {
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const form = h('form', { class: 'filters', 'aria-label': 'Filter the audit', novalidate: true },
    h('div', { class: 'form-errors', tabindex: '-1', hidden: true }),
    field('From', h('input', { type: 'datetime-local', name: 'from', step: 1 }), 'Your local time'),
    field('To', h('input', { type: 'datetime-local', name: 'to', step: 1 })),
    h('button', { type: 'submit' }, 'Apply'));
  form.addEventListener('submit', event => {
    event.preventDefault();
    navigate(`#/audit${query({ from: iso(form.elements.from.value), to: iso(form.elements.to.value) })}`);
  });
  const verifyResult = h('p', { role: 'status', class: 'verify-result' });
  const list = h('div', {});
  const pager = h('div', { class: 'pager' });
  replace(main, h('h1', {}, 'Audit'), form,
    h('div', { class: 'actions', role: 'group', 'aria-label': 'Audit actions' },
      action('Verify chain', async () => {
        const result = await api.get(`${context.base}/audit/verify`);
        verifyResult.className = `verify-result ${result.valid ? 'status-success' : 'status-error'}`;
        verifyResult.textContent = result.valid
          ? `valid: ${result.records} record(s) from seq ${result.from}, ${result.anchors} anchor(s), head ${String(result.head).slice(0, 16)}…`
          : `invalid at seq ${result.brokenAt}: ${result.reason}`;
      }),
      action('Export CSV', async () => {
        const response = await call('GET', `${context.base}/audit${query({ from, to, format: 'csv', limit: 1000 })}`, { accept: 'text/csv', raw: true });
        saveText('audit.csv', await response.text(), 'text/csv');
        const next = response.headers.get('X-Next-Cursor');
        announce(next ? 'Saved the first 1,000 events as audit.csv; narrow the range (or use an audit export request) for more.' : 'Saved audit.csv.', 'success');
      }),
      action('Export JSON', async () => {
        const page = await api.get(`${context.base}/audit${query({ from, to, format: 'json', limit: 1000 })}`);
        saveText('audit.json', JSON.stringify(page.items, null, 2), 'application/json');
        announce(page.nextCursor ? 'Saved the first 1,000 events as audit.json; narrow the range for more.' : 'Saved audit.json.', 'success');
      })),
    verifyResult, list, pager);
  if (from) {
    form.elements.from.value = toLocal(from);
  }
  if (to) {
    form.elements.to.value = toLocal(to);
  }

  const events = [];
  const load = async cursor => {
    try {
      const page = await api.get(`${context.base}/audit${query({ from, to, limit: PAGE, cursor })}`);
      events.push(...page.items);
      replace(list, table(`${events.length} event(s)`, ['Seq', 'At', 'Actor', 'Action', 'Target', 'Outcome', 'Hash'],
        events.map(e => [String(e.seq), time(e.at), `${e.actor?.sub ?? ''} (${e.actor?.role ?? ''})`, e.action, e.target, e.outcome,
          h('code', { title: e.hash }, String(e.hash).slice(0, 12))])));
      replace(pager, page.nextCursor ? action('Load more', () => load(page.nextCursor)) : null);
    } catch (error) {
      showFormProblem(form, error);
    }
  };
  load();
}

function toLocal(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return '';
  }
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
}
