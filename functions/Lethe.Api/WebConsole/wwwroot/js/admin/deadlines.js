// Deadlines: requests past their deadline, and those due within the next days (GDPR's month runs for every request).

import { api, query } from '../api.js';
import { field, h, replace, select, table } from '../dom.js';
import { JOB_HEADERS, jobRow } from './jobs.js';
import { context } from './context.js';

export async function renderDeadlines(main, { params, navigate }) {
  const days = ['3', '7', '14', '30'].includes(params.get('days')) ? params.get('days') : '7';
  const dueBefore = new Date(Date.now() + Number(days) * 86_400_000).toISOString();
  const [overdue, due] = await Promise.all([
    api.get(`${context.base}/requests${query({ overdue: 'true', limit: 100 })}`),
    api.get(`${context.base}/requests${query({ dueBefore, limit: 100 })}`),
  ]);
  const open = job => ['queued', 'running', 'awaiting-approval'].includes(job.status);
  const dueSoon = due.items.filter(job => open(job) && !job.overdue);
  const picker = select({ name: 'days' }, [['3', '3 days'], ['7', '7 days'], ['14', '14 days'], ['30', '30 days']], days);
  // Applied with a button, not on change: arrowing through a closed select must not reload the view (WCAG 3.2.2).
  const pick = h('form', { class: 'filters', 'aria-label': 'Due within' }, field('Due within', picker), h('button', { type: 'submit' }, 'Apply'));
  pick.addEventListener('submit', event => {
    event.preventDefault();
    navigate(`#/deadlines?days=${picker.value}`);
  });
  replace(main, h('h1', {}, 'Deadlines'),
    h('section', { 'aria-labelledby': 'overdue-title' }, h('h2', { id: 'overdue-title' }, 'Past their deadline'),
      table(`${overdue.items.length} overdue request(s)`, JOB_HEADERS, overdue.items.map(jobRow))),
    h('section', { 'aria-labelledby': 'due-title' }, h('h2', { id: 'due-title' }, 'Due soon'),
      pick,
      table(`${dueSoon.length} open request(s) due before ${dueBefore.slice(0, 10)}`, JOB_HEADERS, dueSoon.map(jobRow))));
}
