// Step 2 of placing an order: assign contacts to a quote.
// One state object; render() draws the screen from it, always from the last quote received
// (query, mutation payload or subscription event alike: they all select QUOTE_STEP2).

import { createClient } from './graphql.js';
import {
  VIEWER_QUERY, QUOTES_QUERY, QUOTE_QUERY, ASSIGN_CONTACT, ASSIGN_ADHOC_CONTACT, UNASSIGN_CONTACT,
  SET_ASSIGNMENT_FUNCTION, PLACE_ORDER, UPDATE_CONTACT, QUOTE_CONTACTS_CHANGED,
} from './operations.js';

// --- texts of the screen itself (the API sends its own texts in the language asked) -------
const TEXTS = {
  fr: {
    title: 'Affecter des contacts à une commande',
    skip: "Aller à l'étape 2",
    user: 'Utilisateur (démo)',
    switchLang: 'English',
    quote: 'Devis',
    noQuote: 'Aucun devis',
    client: 'Client',
    products: 'Produits',
    DRAFT: 'brouillon',
    ORDERED: 'commandé',
    needsON_SITE: 'intervention sur site',
    needsDELIVERY: 'livraison de matériel',
    step2: 'Étape 2 : informations complémentaires',
    clientContacts: 'Contacts client existants',
    partnerContacts: 'Contacts partenaire référent existants',
    choose: '— Choisir un contact —',
    incomplete: 'incomplet',
    addClient: 'Ajouter le contact client choisi au devis',
    addPartner: 'Ajouter le contact partenaire choisi au devis',
    completeOpen: 'Compléter ce contact ici',
    completeTitle: 'Compléter le contact {name}',
    saveContact: 'Enregistrer le contact',
    cancel: 'Annuler',
    adhocTitle: 'Ajouter un contact',
    adhocSubmit: 'Ajouter au devis',
    adhocNote: 'Les contacts ajoutés ponctuellement ne seront pas enregistrés dans la liste de vos contacts. ' +
      'Pour les ajouter de façon permanente, veuillez vous rendre dans la rubrique « Entreprise ».',
    lastName: 'Nom', firstName: 'Prénom', email: 'Email', phone: 'Téléphone', role: 'Rôle',
    required: 'obligatoire',
    missing: 'manquant',
    listTitle: 'Liste des contacts du devis',
    contact: 'Contact',
    remove: 'Retirer',
    removeContact: 'Retirer {name} du devis',
    noContacts: 'Aucun contact sur ce devis.',
    helpFor: 'Aide : {label}',
    fnFor: '{label} : {name}',
    roleIs: 'Rôle : {role}',
    CLIENT: 'client', PARTNER: 'partenaire', ADHOC: 'ponctuel',
    validationTitle: 'Contrôle des contacts',
    valid: 'Les contacts du devis sont en règle.',
    errors: 'À corriger',
    warnings: 'À noter',
    placeOrder: 'Passer la commande',
    readOnly: "Lecture seule : vous ne pouvez pas modifier les contacts de ce devis.",
    ordered: 'Commande passée le {date} : ses contacts ne changent plus.',
    liveconnecting: 'Connexion…',
    liveconnected: 'En direct',
    livereconnecting: 'Connexion perdue, reconnexion…',
    liveunauthorized: 'Direct refusé',
    liveunavailable: 'Direct indisponible',
    liveidle: '',
    added: 'Contact ajouté au devis.',
    removed: 'Contact retiré du devis.',
    completed: "Contact complété : vous pouvez l'ajouter au devis.",
    orderPlaced: 'Commande passée.',
    changedBy: '{actor} a modifié les contacts du devis.',
    quoteNotFound: 'Ce devis est introuvable.',
  },
  en: {
    title: 'Assign contacts to an order',
    skip: 'Skip to step 2',
    user: 'User (demo)',
    switchLang: 'Français',
    quote: 'Quote',
    noQuote: 'No quote',
    client: 'Client',
    products: 'Products',
    DRAFT: 'draft',
    ORDERED: 'ordered',
    needsON_SITE: 'on-site intervention',
    needsDELIVERY: 'equipment delivery',
    step2: 'Step 2: additional information',
    clientContacts: 'Existing client contacts',
    partnerContacts: 'Existing partner referent contacts',
    choose: '— Choose a contact —',
    incomplete: 'incomplete',
    addClient: 'Add the chosen client contact to the quote',
    addPartner: 'Add the chosen partner contact to the quote',
    completeOpen: 'Complete this contact here',
    completeTitle: 'Complete the contact {name}',
    saveContact: 'Save the contact',
    cancel: 'Cancel',
    adhocTitle: 'Add a contact',
    adhocSubmit: 'Add to the quote',
    adhocNote: 'Contacts added as one-offs will not be saved in your list of contacts. ' +
      'To add them permanently, please go to the « Enterprise » section.',
    lastName: 'Last name', firstName: 'First name', email: 'Email', phone: 'Phone', role: 'Role',
    required: 'required',
    missing: 'missing',
    listTitle: "The quote's contacts",
    contact: 'Contact',
    remove: 'Remove',
    removeContact: 'Remove {name} from the quote',
    noContacts: 'No contact on this quote yet.',
    helpFor: 'Help: {label}',
    fnFor: '{label}: {name}',
    roleIs: 'Role: {role}',
    CLIENT: 'client', PARTNER: 'partner', ADHOC: 'one-off',
    validationTitle: 'Contact check',
    valid: "The quote's contacts are in order.",
    errors: 'To fix',
    warnings: 'To note',
    placeOrder: 'Place the order',
    readOnly: "Read only: you may not change this quote's contacts.",
    ordered: 'Order placed on {date}: its contacts no longer change.',
    liveconnecting: 'Connecting…',
    liveconnected: 'Live',
    livereconnecting: 'Connection lost, reconnecting…',
    liveunauthorized: 'Live updates refused',
    liveunavailable: 'Live updates unavailable',
    liveidle: '',
    added: 'Contact added to the quote.',
    removed: 'Contact removed from the quote.',
    completed: 'Contact completed: you can add it to the quote.',
    orderPlaced: 'Order placed.',
    changedBy: "{actor} changed the quote's contacts.",
    quoteNotFound: 'This quote cannot be found.',
  },
};
const t = (key, vars = {}) =>
  (TEXTS[state.lang][key] ?? key).replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');

const FIELDS = [
  { name: 'lastName', type: 'text', required: true, autocomplete: 'family-name' },
  { name: 'firstName', type: 'text', required: false, autocomplete: 'given-name' },
  { name: 'email', type: 'email', required: true, autocomplete: 'email' },
  { name: 'phone', type: 'tel', required: true, autocomplete: 'tel' },
  { name: 'role', type: 'text', required: true, autocomplete: 'organization-title' },
];
const MISSING_TO_FIELD = { LAST_NAME: 'lastName', FIRST_NAME: 'firstName', EMAIL: 'email', PHONE: 'phone', ROLE: 'role' };

// --- the one state ---------------------------------------------------------------------
const params = new URLSearchParams(location.search);
const state = {
  token: params.get('user') || 'demo-alice',
  lang: params.get('lang') === 'en' ? 'en' : 'fr',
  viewer: null,
  functions: [],                        // contactFunctions: label and help per function
  quotes: [],                           // the picker's list
  quoteId: params.get('quote'),
  quote: null,                          // the last QUOTE_STEP2 received
  selected: { client: '', partner: '' },
  completing: null,                     // id of the contact whose completion form is open
  errors: { global: [], client: [], partner: [], adhoc: [], complete: [], list: [], order: [] },
  live: 'idle',
};

const client = createClient({
  httpUrl: '/graphql',
  wsUrl: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
  headers: () => ({ Authorization: `Bearer ${state.token}`, 'Accept-Language': state.lang }),
  onStatus: (status, info) => {
    state.live = status;
    renderLive();
    if (status === 'connected' && info?.reconnected) refreshQuote();   // events may have been missed
  },
});

// --- small DOM helpers -------------------------------------------------------------------
const $ = (id) => document.getElementById(id);
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  el.append(...children.flat().filter((c) => c != null && c !== false));
  return el;
}
// Inline icons: nothing is loaded from outside and no emoji font is needed.
const ICONS = {
  person: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm0 2c-4 0-8 2-8 5v1h16v-1c0-3-4-5-8-5z',
  trash: 'M9 3h6l1 2h4v2H4V5h4l1-2zm-3 6h12l-1 12H7L6 9zm4 2v8h1.5v-8H10zm3.5 0v8H15v-8h-1.5z',
};
function icon(name) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `icon icon-${name}`);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}
const fullName = (c) => [c.lastName, c.firstName].filter(Boolean).join(' ');
const errorList = (errors) => errors.length ? h('ul', {}, errors.map((e) => h('li', {}, e.message))) : '';
const fieldOf = (e) => e.field?.[e.field.length - 1];
function setContent(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c != null && c !== false && c !== ''));
}
function messagesOf(error) {
  return error.errors ? error.errors.map((e) => ({ message: e.message })) : [{ message: String(error) }];
}
function announce(text) {
  $('notice').textContent = '';
  setTimeout(() => { $('notice').textContent = text; }, 50);
}

// --- loading -------------------------------------------------------------------------------
let loadGeneration = 0;
let stopSubscription = null;

async function loadAll() {
  const generation = ++loadGeneration;
  state.errors.global = [];
  try {
    const [v, q] = await Promise.all([client.request(VIEWER_QUERY), client.request(QUOTES_QUERY)]);
    if (generation !== loadGeneration) return;
    state.viewer = v.viewer;
    state.functions = v.contactFunctions;
    state.quotes = q.quotes.edges.map((e) => e.node);
    const keep = state.quotes.some((x) => x.id === state.quoteId) ? state.quoteId : state.quotes[0]?.id ?? null;
    await openQuote(keep, { keepForms: keep === state.quote?.id });
  } catch (e) {
    if (generation !== loadGeneration) return;
    state.viewer = null; state.quotes = []; state.quote = null;
    state.errors.global = messagesOf(e);
    render();
  }
}

async function openQuote(id, { keepForms = false } = {}) {
  if (!keepForms || id !== state.quoteId) {
    state.quote = null;
    state.selected = { client: '', partner: '' };
    state.completing = null;
    for (const k of ['client', 'partner', 'adhoc', 'complete', 'list', 'order']) state.errors[k] = [];
  }
  state.quoteId = id;
  stopSubscription?.();
  stopSubscription = null;
  if (state.live === 'unavailable') state.live = 'connected';   // the socket itself is still up
  updateUrl();
  if (!id) { render(); return; }
  // Subscribe first, so that no change falls between the query and the subscription.
  stopSubscription = client.subscribe(QUOTE_CONTACTS_CHANGED, { quoteId: id }, {
    next: ({ data, errors }) => {
      if (errors?.length) { state.errors.global = errors; state.live = 'unavailable'; render(); return; }
      const event = data.quoteContactsChanged;
      // RESYNC is no one's change: the server's link to the other processes came back.
      if (event.kind !== 'RESYNC' && state.viewer && ![state.viewer.name, state.token].includes(event.actor)) announce(t('changedBy', { actor: event.actor }));
      applyQuote(event.quote);
    },
    error: (errors) => {
      state.errors.global = Array.isArray(errors) ? errors : [errors];
      state.live = 'unavailable';
      render();
    },
  });
  await refreshQuote();
}

async function refreshQuote() {
  const id = state.quoteId;
  if (!id) return;
  try {
    const data = await client.request(QUOTE_QUERY, { id });
    if (id !== state.quoteId) return;
    if (!data.quote) state.errors.global = [{ message: t('quoteNotFound') }];
    applyQuote(data.quote);
  } catch (e) {
    state.errors.global = messagesOf(e);
    render();
  }
}

// Keeps the newest quote: an older version arriving late (a slow event) is dropped.
function applyQuote(quote) {
  if (!quote || quote.id !== state.quoteId) { render(); return; }
  if (state.quote?.id === quote.id && quote.version < state.quote.version) return;
  state.quote = quote;
  const listed = state.quotes.find((q) => q.id === quote.id);
  if (listed) listed.status = quote.status;
  render();
}

// --- mutations -----------------------------------------------------------------------------
// Mutations run one after the other, in the order the user asked for them: a quick second
// click waits for the first answer instead of being lost or racing it.
let queue = Promise.resolve();
function mutate(operation, input, errorSlot) {
  const run = () => send(operation, input, errorSlot);
  const result = queue.then(run, run);
  queue = result.catch(() => {});
  return result;
}

async function send(operation, input, errorSlot) {
  state.errors[errorSlot] = [];
  try {
    const data = await client.request(operation, { input });
    const payload = Object.values(data)[0];
    state.errors[errorSlot] = payload.userErrors;
    if (payload.quote) applyQuote(payload.quote);
    else render();
    return payload;
  } catch (e) {
    state.errors[errorSlot] = messagesOf(e);
    render();
    return null;
  }
}

async function addSelected(source) {
  const contactId = state.selected[source];
  if (!contactId) return;
  const payload = await mutate(ASSIGN_CONTACT, { quoteId: state.quoteId, contactId }, source);
  if (payload && !payload.userErrors.length) {
    state.selected[source] = '';
    render();
    $(`${source}-select`).focus();
    announce(t('added'));
  }
}

async function addAdhoc(event) {
  event.preventDefault();
  const input = { quoteId: state.quoteId };
  for (const f of FIELDS) {
    const value = $(`adhoc-${f.name}`).value.trim();
    if (f.required || value) input[f.name] = value;
  }
  const payload = await mutate(ASSIGN_ADHOC_CONTACT, input, 'adhoc');
  if (!payload) return;
  if (payload.userErrors.length) focusFirstInvalid('adhoc');
  else {
    $('adhoc-form').reset();
    $('adhoc-lastName').focus();
    announce(t('added'));
  }
}

async function removeAssignment(assignmentId) {
  const rows = state.quote.assignments;
  const index = rows.findIndex((a) => a.id === assignmentId);
  const payload = await mutate(UNASSIGN_CONTACT, { assignmentId }, 'list');
  if (payload && !payload.userErrors.length) {
    const next = state.quote.assignments[Math.min(index, state.quote.assignments.length - 1)];
    (next ? $(`remove-${next.id}`) : $('list-heading')).focus();
    announce(t('removed'));
  }
}

function setFunction(assignmentId, fn, enabled) {
  return mutate(SET_ASSIGNMENT_FUNCTION, { assignmentId, function: fn, enabled }, 'list');
}

async function placeOrder() {
  const payload = await mutate(PLACE_ORDER, { quoteId: state.quoteId }, 'order');
  if (payload && !payload.userErrors.length) announce(t('orderPlaced'));
}

function openCompletion(contactId) {
  state.completing = contactId;
  state.errors.complete = [];
  const contact = findEligible(contactId)?.contact;
  for (const f of FIELDS) $(`complete-${f.name}`).value = contact?.[f.name] ?? '';
  render();
  const firstMissing = contact?.missingFields.map((m) => MISSING_TO_FIELD[m])[0] ?? 'lastName';
  $(`complete-${firstMissing}`).focus();
}

function closeCompletion(focusSource) {
  state.completing = null;
  state.errors.complete = [];
  render();
  if (focusSource) $(`${focusSource}-select`).focus();
}

async function saveCompletion(event) {
  event.preventDefault();
  const contactId = state.completing;
  const input = { contactId };
  for (const f of FIELDS) input[f.name] = $(`complete-${f.name}`).value.trim();
  const payload = await mutate(UPDATE_CONTACT, input, 'complete');
  if (!payload) return;
  if (payload.userErrors.length) { focusFirstInvalid('complete'); return; }
  const source = sourceOf(contactId);
  state.completing = null;
  await refreshQuote();                       // the contact can now be added at once
  if (source) { state.selected[source] = contactId; render(); $(`${source}-add`).focus(); }
  announce(t('completed'));
}

function focusFirstInvalid(prefix) {
  const field = FIELDS.find((f) => $(`${prefix}-${f.name}`).getAttribute('aria-invalid') === 'true');
  if (field) $(`${prefix}-${field.name}`).focus();
}

// --- rendering -----------------------------------------------------------------------------
function findEligible(contactId) {
  const lists = state.quote?.eligibleContacts;
  return lists && [...lists.client, ...lists.partner].find((e) => e.contact.id === contactId);
}
function sourceOf(contactId) {
  const lists = state.quote?.eligibleContacts;
  if (lists?.client.some((e) => e.contact.id === contactId)) return 'client';
  if (lists?.partner.some((e) => e.contact.id === contactId)) return 'partner';
  return null;
}

function render() {
  const focusedId = document.activeElement?.id;
  document.documentElement.lang = state.lang;
  document.title = t('title');
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll('[data-t-label]')) el.setAttribute('aria-label', t(el.dataset.tLabel));
  $('lang-switch').textContent = t('switchLang');
  $('lang-switch').lang = state.lang === 'fr' ? 'en' : 'fr';
  $('user-select').value = state.token;
  setContent($('global-errors'), errorList(state.errors.global));
  renderLive();
  renderQuotePicker();
  const q = state.quote;
  $('step2').hidden = !q;
  if (q) {
    renderNotices(q);
    renderPicker('client', q);
    renderPicker('partner', q);
    renderCompletion(q);
    renderForm('adhoc', state.errors.adhoc, !q.viewerCanEdit);
    renderTable(q);
    renderValidation(q);
    $('place-order').disabled = !q.viewerCanEdit;
    setContent($('order-errors'), errorList(state.errors.order));
  }
  if (focusedId && document.activeElement?.id !== focusedId) $(focusedId)?.focus();
}

function renderLive() {
  const el = $('live-status');
  el.textContent = t(`live${state.live}`);
  el.dataset.state = state.live;
}

function renderQuotePicker() {
  const select = $('quote-select');
  const options = state.quotes.length
    ? state.quotes.map((q) => h('option', { value: q.id, selected: q.id === state.quoteId },
        `${q.reference} — ${q.client.name} (${t(q.status)})`))
    : [h('option', { value: '' }, t('noQuote'))];
  syncOptions(select, options);
  const q = state.quote;
  setContent($('quote-summary'), q && h('dl', {},
    h('dt', {}, t('client')), h('dd', {}, q.client.name),
    h('dt', {}, t('products')),
    h('dd', {}, h('ul', {}, q.lines.map((l) => h('li', {},
      `${l.quantity} × ${l.product.name}`,
      l.product.requiresOnSiteContact && h('span', { class: 'tag' }, t('needsON_SITE')),
      l.product.requiresDeliveryContact && h('span', { class: 'tag' }, t('needsDELIVERY'))))))));
}

// Rebuilds a select's options only when they changed, so an open list is not disturbed.
function syncOptions(select, options) {
  const signature = options.map((o) => `${o.value}|${o.textContent}|${o.hasAttribute('selected')}`).join('\n');
  if (select.dataset.signature === signature) return;
  select.dataset.signature = signature;
  select.replaceChildren(...options);
  const chosen = options.find((o) => o.hasAttribute('selected'));
  select.value = chosen ? chosen.value : options[0]?.value ?? '';
}

function renderNotices(q) {
  const readOnly = !q.viewerCanEdit && q.status === 'DRAFT';
  $('read-only').hidden = !readOnly;
  $('read-only').textContent = t('readOnly');
  $('ordered').hidden = q.status !== 'ORDERED';
  $('ordered').textContent = q.orderedAt
    ? t('ordered', { date: new Date(q.orderedAt).toLocaleString(state.lang) }) : '';
}

function renderPicker(source, q) {
  const eligible = q.eligibleContacts[source];
  if (state.selected[source] && !eligible.some((e) => e.contact.id === state.selected[source])) {
    state.selected[source] = '';
  }
  const options = [h('option', { value: '' }, t('choose'))].concat(eligible.map((e) =>
    h('option', { value: e.contact.id, selected: e.contact.id === state.selected[source] },
      fullName(e.contact) + (e.contact.role ? ` — ${e.contact.role}` : '') +
      (e.contact.isComplete ? '' : ` (${t('incomplete')})`))));
  syncOptions($(`${source}-select`), options);
  const chosen = eligible.find((e) => e.contact.id === state.selected[source]);
  $(`${source}-add`).disabled = !q.viewerCanEdit || !chosen?.canAdd;
  const reasons = chosen ? chosen.reasons : [];
  const incomplete = reasons.some((r) => r.code === 'CONTACT_INCOMPLETE');
  const canComplete = incomplete && chosen.contact.canEdit && state.completing !== chosen.contact.id;
  setContent($(`${source}-reasons`),
    errorList(reasons),
    canComplete && h('button', { type: 'button', id: `${source}-complete`, class: 'link',
      onclick: () => openCompletion(chosen.contact.id) }, t('completeOpen')));
  setContent($(`${source}-errors`), errorList(state.errors[source]));
}

function renderCompletion(q) {
  const entry = state.completing && findEligible(state.completing);
  if (state.completing && (!entry || entry.contact.isComplete && !state.errors.complete.length)) state.completing = null;
  const form = $('complete-form');
  form.hidden = !state.completing;
  if (!state.completing) return;
  const contact = entry.contact;
  $('complete-heading').textContent = t('completeTitle', { name: fullName(contact) });
  const missing = new Set(contact.missingFields.map((m) => MISSING_TO_FIELD[m]));
  for (const f of FIELDS) {
    $(`complete-${f.name}-hint`).textContent = missing.has(f.name) ? `(${t('missing')})` : '';
  }
  renderForm('complete', state.errors.complete, !contact.canEdit);
}

// Shows each userError under the input its `field` path names; the others above the buttons.
function renderForm(prefix, errors, disabled) {
  const names = new Set(FIELDS.map((f) => f.name));
  for (const f of FIELDS) {
    const mine = errors.filter((e) => fieldOf(e) === f.name);
    const input = $(`${prefix}-${f.name}`);
    input.disabled = disabled;
    input.setAttribute('aria-invalid', mine.length ? 'true' : 'false');
    setContent($(`${prefix}-${f.name}-error`), mine.map((e) => h('span', {}, e.message)));
    const label = $(`${prefix}-${f.name}-label`);
    label.firstChild.textContent = t(f.name);
    label.querySelector('abbr')?.setAttribute('title', t('required'));
  }
  setContent($(`${prefix}-errors`), errorList(errors.filter((e) => !names.has(fieldOf(e)))));
  for (const b of $(`${prefix}-form`).querySelectorAll('button[type=submit]')) b.disabled = disabled;
}

function renderTable(q) {
  const canEdit = q.viewerCanEdit;
  const requirements = Object.fromEntries(q.contactRequirements.map((r) => [r.function, r]));
  const columns = state.functions.map((f) => ({ ...f, requirement: requirements[f.function] }));
  setContent($('contacts-table').tHead, h('tr', {},
    h('th', { scope: 'col' }, t('contact')),
    h('th', { scope: 'col' }, t('remove')),
    columns.map((c) => h('th', { scope: 'col', id: `col-${c.function}` },
      h('span', { class: 'col-label' }, c.label),
      h('span', { class: 'tip' },
        h('button', { type: 'button', class: 'info', 'aria-label': t('helpFor', { label: c.label }),
          'aria-describedby': `help-${c.function}` }, 'i'),
        h('span', { role: 'tooltip', id: `help-${c.function}` }, c.help)),
      c.requirement && h('span', { class: 'requirement', id: `req-${c.function}` },
        c.requirement.summary, h('span', { class: 'count' }, ` (${c.requirement.count}/${c.requirement.max})`))))));
  const rowErrors = (a) => state.errors.list.filter((e) => e.assignmentId === a.id);
  const rows = q.assignments.map((a) => {
    const name = fullName(a);
    const bad = rowErrors(a);
    return h('tr', { class: bad.length ? 'invalid' : null },
      h('th', { scope: 'row', class: 'who', title: t('roleIs', { role: a.role }), tabindex: '0', id: `name-${a.id}` },
        icon('person'),
        h('span', { class: 'name' }, name),
        h('span', { class: 'role' }, `, ${t('roleIs', { role: a.role })}`),
        h('span', { class: 'source' }, ` ${t(a.source)}`)),
      h('td', {}, h('button', { type: 'button', class: 'remove', id: `remove-${a.id}`, disabled: !canEdit,
        'aria-label': t('removeContact', { name }), onclick: () => removeAssignment(a.id) }, icon('trash'))),
      columns.map((c) => {
        const fnErrors = bad.filter((e) => e.function === c.function);
        return h('td', {}, h('input', {
          type: 'checkbox', id: `fn-${a.id}-${c.function}`, checked: a.functions.includes(c.function),
          disabled: !canEdit, 'aria-label': t('fnFor', { label: c.label, name }),
          'aria-invalid': fnErrors.length ? 'true' : null,
          'aria-describedby': fnErrors.length ? 'list-errors' : `req-${c.function}`,
          onchange: (e) => setFunction(a.id, c.function, e.target.checked),
        }));
      }));
  });
  setContent($('contacts-table').tBodies[0], rows.length ? rows
    : h('tr', {}, h('td', { colspan: String(2 + columns.length), class: 'empty' }, t('noContacts'))));
  setContent($('list-errors'), errorList(state.errors.list));
}

function renderValidation(q) {
  const v = q.contactValidation;
  const key = JSON.stringify([state.lang, v]);
  const el = $('validation');
  if (el.dataset.key === key) return;   // unchanged: do not announce it again
  el.dataset.key = key;
  setContent(el,
    v.errors.length ? [h('h4', {}, t('errors')), h('ul', { class: 'errors' }, v.errors.map((e) => h('li', {}, e.message)))]
      : q.status === 'DRAFT' && h('p', { class: 'ok' }, t('valid')),
    v.warnings.length > 0 && [h('h4', {}, t('warnings')),
      h('ul', { class: 'warnings' }, v.warnings.map((w) => h('li', {}, w.message + warningTarget(q, w))))]);
}

function warningTarget(q, w) {
  const a = q.assignments.find((x) => x.id === w.assignmentId);
  const label = state.functions.find((f) => f.function === w.function)?.label;
  return a ? ` (${[fullName(a), label].filter(Boolean).join(', ')})` : '';
}

// --- the static parts, built once -----------------------------------------------------------
function buildFields(prefix) {
  const container = document.querySelector(`[data-prefix="${prefix}"]`);
  container.replaceChildren(...FIELDS.map((f) => h('div', { class: 'field' },
    h('label', { for: `${prefix}-${f.name}`, id: `${prefix}-${f.name}-label` }, '',
      f.required && h('abbr', { title: '' }, ' *'),
      h('span', { class: 'hint', id: `${prefix}-${f.name}-hint` })),
    h('input', { id: `${prefix}-${f.name}`, name: f.name, type: f.type, autocomplete: f.autocomplete,
      'aria-required': f.required ? 'true' : null,
      'aria-describedby': `${prefix}-${f.name}-error` }),
    h('div', { class: 'field-error', id: `${prefix}-${f.name}-error`, 'aria-live': 'polite' }))));
}

function updateUrl() {
  const p = new URLSearchParams({ user: state.token, lang: state.lang });
  if (state.quoteId) p.set('quote', state.quoteId);
  history.replaceState(null, '', `?${p}`);
}

function start() {
  buildFields('adhoc');
  buildFields('complete');
  $('user-select').addEventListener('change', (e) => {
    state.token = e.target.value;
    for (const k of Object.keys(state.errors)) state.errors[k] = [];
    client.restart();
    loadAll();
  });
  $('lang-switch').addEventListener('click', () => {
    state.lang = state.lang === 'fr' ? 'en' : 'fr';
    for (const k of Object.keys(state.errors)) state.errors[k] = [];
    client.restart();            // events come in the language of connection_init
    render();
    loadAll();
  });
  $('quote-select').addEventListener('change', (e) => openQuote(e.target.value || null));
  for (const source of ['client', 'partner']) {
    $(`${source}-select`).addEventListener('change', (e) => {
      state.selected[source] = e.target.value;
      state.errors[source] = [];
      if (state.completing && state.completing !== e.target.value) state.completing = null;
      render();
    });
    $(`${source}-add`).addEventListener('click', () => addSelected(source));
  }
  $('adhoc-form').addEventListener('submit', addAdhoc);
  $('complete-form').addEventListener('submit', saveCompletion);
  $('complete-cancel').addEventListener('click', () => closeCompletion(sourceOf(state.completing)));
  $('place-order').addEventListener('click', placeOrder);
  // Escape hides an open tooltip (WCAG 1.4.13) until the pointer or focus leaves it.
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') document.activeElement?.closest('.tip')?.classList.add('dismissed');
  });
  for (const type of ['focusout', 'mouseout']) {
    document.addEventListener(type, (e) => e.target.closest?.('.tip')?.classList.remove('dismissed'));
  }
  render();
  loadAll();
}

start();
