// Tenant settings: retention, archive, erasure strategy and request handling. Each form PUTs its own settings route; a
// rejected form shows the API's problem details next to the fields they name (nothing is changed by a rejected request).

import { api } from '../api.js';
import { announce, clearFormProblem, field, h, replace, select, showFormProblem } from '../dom.js';
import { context } from './context.js';

const CATEGORY = '[a-z][a-z0-9_]{1,39}';

export async function renderSettings(main) {
  const settings = await api.get(`${context.base}/settings`);
  replace(main, h('h1', {}, 'Settings'),
    h('p', {}, `Tenant state ${settings.state}; key ${settings.key.managedBy}; recovery window ${settings.recoveryWindow}; hard-delete deadline ${settings.hardDeleteDeadline}.`),
    retentionForm(settings.retention), archiveForm(settings.archive), erasureForm(settings.erasure), requestsForm(settings.requests));
}

/** A form that PUTs the body its fields build, and shows the API's answer. */
function settingsForm(title, id, path, fields, body) {
  const form = h('form', { class: 'card', 'aria-labelledby': id, novalidate: true },
    h('h2', { id }, title), h('div', { class: 'form-errors', tabindex: '-1', hidden: true }), fields, h('button', { type: 'submit' }, `Save ${title.toLowerCase()}`));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    clearFormProblem(form);
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      await api.put(`${context.base}/settings/${path}`, body(form));
      announce(`${title} saved.`, 'success');
    } catch (error) {
      showFormProblem(form, error);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** Rows of per-category inputs with an empty row to add one; cells(category) gives a row's inputs. */
function categoryRows(caption, entries, cells, headers) {
  const body = h('tbody', {});
  const addRow = category => {
    const nameInput = h('input', { class: 'category-name', value: category, pattern: CATEGORY, 'aria-label': 'Category', autocomplete: 'off' });
    const row = h('tr', {}, h('td', {}, nameInput), cells(category).map(cell => h('td', {}, cell)),
      h('td', {}, h('button', { type: 'button', onclick: () => row.remove(), 'aria-label': `Remove ${category || 'this category'}` }, 'Remove')));
    body.append(row);
  };
  for (const category of entries) {
    addRow(category);
  }
  return h('div', {},
    h('table', { class: 'categories' }, h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ['Category', ...headers, ''].map(name => h('th', { scope: 'col' }, name)))), body),
    h('button', { type: 'button', onclick: () => addRow('') }, 'Add category'));
}

/** The rows of a category editor as [category, row], renaming each row's inputs to the field names the API reports. */
function rowsOf(form, rename) {
  return [...form.querySelectorAll('tbody tr')].map(row => {
    const category = row.querySelector('.category-name').value.trim();
    rename(row, category);
    return [category, row];
  }).filter(([category]) => category);
}

function retentionForm(retention) {
  const rows = categoryRows('Retention per category (ISO 8601 durations, P90D to P7Y)', Object.keys(retention.categories),
    category => [h('input', { class: 'duration', value: retention.categories[category] ?? '', 'aria-label': 'Retention', autocomplete: 'off' })], ['Keep for']);
  return settingsForm('Retention', 'retention-title', 'retention',
    [field('Default retention', h('input', { name: 'default', value: retention.default, autocomplete: 'off' }), 'e.g. P2Y'), rows],
    form => ({
      default: form.elements.default.value.trim(),
      categories: Object.fromEntries(rowsOf(form, (row, category) => {
        row.querySelector('.duration').name = `categories.${category}`;
      }).map(([category, row]) => [category, row.querySelector('.duration').value.trim()])),
    }));
}

function archiveForm(archive) {
  const tiers = archive.tiers.map(tier => [tier, tier]);
  const rows = categoryRows('Categories that archive when their retention ends', Object.keys(archive.categories),
    category => [
      h('input', { class: 'after', value: archive.categories[category]?.after ?? '', 'aria-label': 'Archive after', autocomplete: 'off' }),
      select({ class: 'tier', 'aria-label': 'Tier' }, tiers, archive.categories[category]?.tier ?? tiers[0]?.[0]),
    ], ['After', 'Tier']);
  return settingsForm('Archive', 'archive-title', 'archive', [rows], form => ({
    categories: Object.fromEntries(rowsOf(form, (row, category) => {
      row.querySelector('.after').name = `categories.${category}.after`;
      row.querySelector('.tier').name = `categories.${category}.tier`;
    }).map(([category, row]) => [category, { after: row.querySelector('.after').value.trim(), tier: row.querySelector('.tier').value }])),
  }));
}

function erasureForm(erasure) {
  const strategies = erasure.strategies.map(s => [s, s]);
  const rows = categoryRows('What an erasure does per category (delete is the default)', Object.keys(erasure.categories),
    category => [select({ class: 'strategy', 'aria-label': 'Strategy' }, strategies, erasure.categories[category])], ['Strategy']);
  return settingsForm('Erasure', 'erasure-title', 'erasure', [rows], form => ({
    categories: Object.fromEntries(rowsOf(form, (row, category) => {
      row.querySelector('.strategy').name = `categories.${category}`;
    }).map(([category, row]) => [category, row.querySelector('.strategy').value])),
  }));
}

function requestsForm(requests) {
  return settingsForm('Requests', 'requests-title', 'requests', [
    field('Approval', select({ name: 'approval' }, [['none', 'none'], ['one', 'one approver'], ['four-eyes', 'four eyes']], requests.approval)),
    h('div', { class: 'field checkbox' }, h('input', { type: 'checkbox', id: 'pause', name: 'pauseApprovalsOnFailure', checked: requests.pauseApprovalsOnFailure }),
      h('label', { for: 'pause' }, 'Pause approvals while a request has failed')),
    field('Request deadline', h('input', { name: 'requestDeadline', value: requests.requestDeadline, autocomplete: 'off' }), 'P30D to P90D (the recovery window and a day to purge come first)'),
    field('Notify by e-mail', h('textarea', { name: 'notifications.emails', rows: 2, dataset: { field: 'notifications' } },
      requests.notifications.emails.join('\n')), 'One address per line'),
  ], form => ({
    approval: form.elements.approval.value,
    pauseApprovalsOnFailure: form.elements.pauseApprovalsOnFailure.checked,
    requestDeadline: form.elements.requestDeadline.value.trim(),
    notifications: { emails: form.elements['notifications.emails'].value.split('\n').map(line => line.trim()).filter(Boolean) },
  }));
}
