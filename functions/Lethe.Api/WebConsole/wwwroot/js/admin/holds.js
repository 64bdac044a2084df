// Legal holds: the tenant's holds, place one on a subject, release one. A held subject's data is never deleted.

import { api, seg } from '../api.js';
import { action, announce, clearFormProblem, field, h, replace, showFormProblem, table, time } from '../dom.js';
import { context } from './context.js';

export async function renderHolds(main) {
  const list = h('div', {});
  const form = h('form', { class: 'card', 'aria-labelledby': 'hold-title', novalidate: true },
    h('h2', { id: 'hold-title' }, 'Place a legal hold'),
    h('div', { class: 'form-errors', tabindex: '-1', hidden: true }),
    field('Subject id', h('input', { name: 'subjectId', required: true, autocomplete: 'off' })),
    field('Reason', h('input', { name: 'reason', required: true, maxlength: 1000, autocomplete: 'off' }), 'Shown to auditors'),
    h('button', { type: 'submit' }, 'Place hold'));
  const load = async () => {
    const holds = await api.get(`${context.base}/legal-holds`);
    replace(list, table(`${holds.items.length} hold(s)`, ['Hold', 'Subject', 'Reason', 'Placed', 'By', ''],
      holds.items.map(hold => [hold.id, `ref ${hold.subjectRef.slice(0, 12)}…`, hold.reason, time(hold.createdAt), hold.createdBy,
        action('Release', async () => {
          await api.delete(`${context.base}/legal-holds/${seg(hold.id)}`);
          announce(`Hold ${hold.id} released.`, 'success');
          await load();
        }, { 'aria-label': `Release hold ${hold.id}` })])));
  };
  form.addEventListener('submit', async event => {
    event.preventDefault();
    clearFormProblem(form);
    try {
      const created = await api.post(`${context.base}/legal-holds`, { subjectId: form.elements.subjectId.value.trim(), reason: form.elements.reason.value.trim() });
      announce(`Hold ${created.id} placed.`, 'success');
      form.reset();
      await load();
    } catch (error) {
      showFormProblem(form, error);
    }
  });
  replace(main, h('h1', {}, 'Legal holds'), list, form);
  await load();
}
