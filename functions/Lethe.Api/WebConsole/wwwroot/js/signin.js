// Sign-in shared by /admin and /privacy: paste a token; under `./lethe up` (and only there) a dev sign-in mints a local one.

import { api, readClaims, session } from './api.js';
import { announce, field, h, replace, select, showFormProblem } from './dom.js';

/**
 * @param {HTMLElement} main
 * @param {{roles: string[], intro: string, refusal: string|null, onSignedIn: () => void}} options
 */
export async function renderSignIn(main, options) {
  const tokenInput = h('textarea', { name: 'token', rows: 4, required: true, spellcheck: 'false', autocomplete: 'off' });
  const pasteForm = h('form', { class: 'card', 'aria-labelledby': 'paste-title' },
    h('h2', { id: 'paste-title' }, 'Sign in with a token'),
    h('div', { class: 'form-errors', tabindex: '-1', hidden: true }),
    field('Bearer token (JWT)', tokenInput, 'Kept in this tab only (sessionStorage) and sent to this API alone.'),
    h('button', { type: 'submit' }, 'Sign in'));
  pasteForm.addEventListener('submit', event => {
    event.preventDefault();
    const token = tokenInput.value.trim();
    try {
      readClaims(token);
    } catch (error) {
      tokenInput.setAttribute('aria-invalid', 'true');
      announce(error.message, 'error');
      return;
    }
    session.token = token;
    announce('Signed in.');
    options.onSignedIn();
  });

  replace(main, h('h1', {}, 'Sign in'), h('p', {}, options.intro),
    options.refusal ? h('p', { class: 'status-error' }, options.refusal) : null, pasteForm);

  let config = { devSignIn: false };
  try {
    config = await api.get('/console/config');
  } catch {
    // Without the config the token form is all there is.
  }
  if (!config.devSignIn) {
    return;
  }
  const devForm = h('form', { class: 'card', 'aria-labelledby': 'dev-title' },
    h('h2', { id: 'dev-title' }, 'Local dev sign-in'),
    h('p', {}, 'This local cloud (./lethe up) mints a token signed with its dev key, as ./lethe token does. It does not exist in AWS.'),
    h('div', { class: 'form-errors', tabindex: '-1', hidden: true }),
    field('Tenant', h('input', { name: 'tenant', required: true, value: 't1', autocomplete: 'off' })),
    field('Role', select({ name: 'role' }, options.roles.map(role => [role, role]), options.roles[0])),
    field('Subject (sub)', h('input', { name: 'sub', autocomplete: 'off' }), 'The user id; for the subject role, the data subject\'s id.'),
    h('button', { type: 'submit' }, 'Sign in (dev)'));
  devForm.addEventListener('submit', async event => {
    event.preventDefault();
    const form = event.target;
    try {
      const minted = await api.post('/console/dev-token', {
        tenant: form.elements.tenant.value.trim(),
        role: form.elements.role.value,
        sub: form.elements.sub.value.trim() || null,
      });
      session.token = minted.token;
      announce('Signed in with a local dev token.');
      options.onSignedIn();
    } catch (error) {
      showFormProblem(form, error);
    }
  });
  main.append(devForm);
}
