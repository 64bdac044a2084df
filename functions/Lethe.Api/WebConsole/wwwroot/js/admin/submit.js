// Submit a deletion or an export for one subject (POST …/requests with an idempotency key, so a double click submits once).

import { api, idempotencyKey, seg } from '../api.js';
import { announce, clearFormProblem, field, h, replace, select, showFormProblem } from '../dom.js';
import { context } from './context.js';

export function renderSubmit(main, { navigate }) {
  const format = field('Export format', select({ name: 'format' }, [['zip', 'ZIP (records, files, report.pdf)'], ['json', 'JSON'], ['csv', 'CSV'], ['pdf', 'PDF report']], 'zip'));
  const type = select({ name: 'type' }, [['deletion', 'Deletion (erasure)'], ['export', 'Export (access / portability)']], 'deletion');
  const form = h('form', { class: 'card', 'aria-labelledby': 'submit-title', novalidate: true },
    h('h1', { id: 'submit-title' }, 'Submit a request'),
    h('div', { class: 'form-errors', tabindex: '-1', hidden: true }),
    field('Type', type),
    field('Subject id', h('input', { name: 'subjectId', required: true, autocomplete: 'off' }), 'The data subject\'s id in your platform.'),
    field('Reason', h('textarea', { name: 'reason', rows: 2, maxlength: 1000 }), 'Optional; kept on the request, erased with the subject.'),
    format,
    h('button', { type: 'submit' }, 'Submit'));
  const key = idempotencyKey();
  const showFormat = () => {
    format.hidden = type.value !== 'export';
  };
  type.addEventListener('change', showFormat);
  showFormat();
  form.addEventListener('submit', async event => {
    event.preventDefault();
    clearFormProblem(form);
    const e = form.elements;
    const body = { type: e.type.value, subjectId: e.subjectId.value.trim(), reason: e.reason.value.trim() || null };
    if (body.type === 'export') {
      body.format = e.format.value;
    }
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const job = await api.post(`${context.base}/requests`, body, { headers: { 'Idempotency-Key': key } });
      announce(`Request ${job.id} submitted (${job.status}).`, 'success');
      navigate(`#/jobs/${seg(job.id)}`);
    } catch (error) {
      showFormProblem(form, error);
    } finally {
      button.disabled = false;
    }
  });
  replace(main, form);
}
