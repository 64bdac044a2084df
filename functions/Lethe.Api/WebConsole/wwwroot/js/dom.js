// DOM helpers of the console pages. Every value from the API goes in as text (textContent, attributes), never as markup,
// so nothing a tenant or subject wrote can run as script.

import { ProblemError } from './api.js';

/**
 * Creates an element. attributes: plain attributes, plus `on*` functions as listeners and `dataset`/`aria` objects.
 * children: strings (as text), nodes, arrays, or null/false (skipped).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (name === 'text') {
      element.textContent = String(value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(parent, child);
    } else if (child instanceof Node) {
      parent.append(child);
    } else {
      parent.append(document.createTextNode(String(child)));
    }
  }
}

/** What identifies a control across a redraw: its kind, target and name (a redrawn table has new nodes for the same things). */
const focusKey = node => [node.tagName, node.getAttribute('href'), node.getAttribute('aria-label'), node.textContent].join('|');

/**
 * Replaces the children of a node. When the keyboard focus was inside it, the control with the same kind, target and name
 * gets it back (a refresh never throws a keyboard user out of a table); when that control is gone, the page's main region does.
 */
export function replace(parent, ...children) {
  const focused = parent.contains(document.activeElement) && document.activeElement !== parent ? focusKey(document.activeElement) : null;
  parent.replaceChildren();
  append(parent, children);
  if (focused !== null) {
    const again = [...parent.querySelectorAll('a, button, input, select, textarea, summary')].find(node => focusKey(node) === focused);
    (again ?? document.getElementById('main'))?.focus({ preventScroll: true });
  }
  return parent;
}

/** A UTC time as the API sends it, shown as `2026-12-04 10:15:02 UTC`, or a dash. */
export function time(value) {
  if (!value) {
    return '—';
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A progress bar with its numbers as text beside it (a screen reader reads the native progress element). */
export function progressBar(progress, label) {
  const percent = Math.max(0, Math.min(100, Number(progress?.percent ?? 0)));
  return h('span', { class: 'progress' },
    h('progress', { max: 100, value: percent, 'aria-label': label }),
    h('span', { class: 'progress-text' }, `${percent}% (${progress?.processed ?? 0}/${progress?.total ?? 0}${progress?.failed ? `, ${progress.failed} failed` : ''})`));
}

/** A status word as a badge (the word itself carries the meaning; colour only repeats it). */
export const badge = status => h('span', { class: `badge badge-${String(status).replace(/[^a-z-]/g, '')}` }, String(status));

/** The announcer: one polite live region per page, so screen readers hear what an action did. */
export function announce(message, kind = 'info') {
  const region = document.getElementById('status');
  if (region) {
    region.className = `status status-${kind}`;
    region.textContent = message;
  }
}

/** Shows an error of an action: a problem's title and detail, announced. */
export function showError(error) {
  if (error instanceof ProblemError) {
    announce(`${error.problem.title ?? 'Refused'}: ${error.message}`, 'error');
  } else {
    announce(error instanceof Error ? error.message : String(error), 'error');
  }
}

/**
 * Puts a problem's per-field errors next to the fields of a form (aria-invalid, aria-describedby), and its detail at the top.
 * Fields are matched by their name attribute; errors for names the form lacks are listed in the form's summary.
 */
export function showFormProblem(form, error) {
  clearFormProblem(form);
  const summary = form.querySelector('.form-errors');
  if (!(error instanceof ProblemError)) {
    showError(error);
    return;
  }
  const unmatched = [];
  for (const [field, messages] of Object.entries(error.fieldErrors)) {
    const input = form.querySelector(`[name="${CSS.escape(field)}"]`) ?? form.querySelector(`[data-field="${CSS.escape(field)}"]`);
    const text = Array.isArray(messages) ? messages.join(' ') : String(messages);
    if (input) {
      const id = `${input.id || input.name}-error`;
      input.setAttribute('aria-invalid', 'true');
      input.dataset.describedBy = input.getAttribute('aria-describedby') ?? '';
      input.setAttribute('aria-describedby', [id, input.dataset.describedBy].filter(Boolean).join(' '));
      input.after(h('span', { class: 'field-error', id }, text));
    } else {
      unmatched.push(`${field}: ${text}`);
    }
  }
  if (summary) {
    replace(summary, h('p', {}, h('strong', {}, error.problem.title ?? 'Refused'), ` — ${error.message}`),
      unmatched.length ? h('ul', {}, unmatched.map(line => h('li', {}, line))) : null);
    summary.hidden = false;
    summary.focus();
  }
  announce(`${error.problem.title ?? 'Refused'}: ${error.message}`, 'error');
}

export function clearFormProblem(form) {
  form.querySelectorAll('.field-error').forEach(node => node.remove());
  form.querySelectorAll('[aria-invalid]').forEach(node => {
    node.removeAttribute('aria-invalid');
    // The hint it had before the error describes it again.
    if (node.dataset.describedBy) {
      node.setAttribute('aria-describedby', node.dataset.describedBy);
    } else {
      node.removeAttribute('aria-describedby');
    }
    delete node.dataset.describedBy;
  });
  const summary = form.querySelector('.form-errors');
  if (summary) {
    summary.hidden = true;
    summary.replaceChildren();
  }
}

/** A labelled form control: every input has a visible label bound by id. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  const hintNode = hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintNode) {
    input.setAttribute('aria-describedby', hintNode.id);
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hintNode);
}

/** A select of options [value, label]. */
export function select(attributes, options, selected) {
  return h('select', attributes, options.map(([value, label]) => h('option', { value, selected: value === selected }, label)));
}

/** A data table with a caption; rows are arrays of cells (nodes or text). */
export function table(caption, headers, rows) {
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map(name => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, rows.length
      ? rows.map(cells => h('tr', {}, cells.map(cell => h('td', {}, cell))))
      : h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, 'Nothing to show.'))));
}

/** Runs a button's action once at a time: the button is disabled while it runs and errors are announced. */
export function action(label, run, attributes = {}) {
  const button = h('button', { type: 'button', ...attributes }, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await run();
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
