// A tiny element builder. Everything goes through DOM properties and textContent — never
// innerHTML or style attributes — so the page works under a strict CSP and shows untrusted text
// (image names, error messages) as text.
type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  text?: string;
  id?: string;
  title?: string;
  type?: string;
  name?: string;
  value?: string;
  placeholder?: string;
  for?: string;
  role?: string;
  hidden?: boolean;
  disabled?: boolean;
  checked?: boolean;
  tabIndex?: number;
  /** aria-* and data-* attributes, without their prefix handled by the caller. */
  attrs?: Record<string, string>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (event: HTMLElementEventMap[K]) => void }>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.id) el.id = props.id;
  if (props.title) el.title = props.title;
  if (props.role) el.setAttribute('role', props.role);
  if (props.hidden) el.hidden = true;
  if (props.tabIndex !== undefined) el.tabIndex = props.tabIndex;
  const field = el as unknown as Partial<HTMLInputElement & HTMLLabelElement & HTMLButtonElement>;
  if (props.type !== undefined) el.setAttribute('type', props.type);
  if (props.name !== undefined) field.name = props.name;
  if (props.value !== undefined) field.value = props.value;
  if (props.placeholder !== undefined) el.setAttribute('placeholder', props.placeholder);
  if (props.for !== undefined) field.htmlFor = props.for;
  if (props.disabled) field.disabled = true;
  if (props.checked) field.checked = true;
  for (const [key, value] of Object.entries(props.attrs ?? {})) el.setAttribute(key, value);
  for (const [type, handler] of Object.entries(props.on ?? {})) el.addEventListener(type, handler as EventListener);
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

/** An element id no other element of the page has; random, so no counter outlives its page. */
export function uid(prefix: string): string {
  // getRandomValues, not randomUUID: a window served on a LAN address over http is no secure context.
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** A labelled field: label, control, and an optional hint tied to it with aria-describedby. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  if (!control.id) control.id = uid('field');
  const parts: Node[] = [h('label', { for: control.id, text: label }), control];
  if (hint) {
    const hintId = uid('hint');
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('p', { class: 'hint', id: hintId, text: hint }));
  }
  return h('div', { class: 'field' }, ...parts);
}

export function clear(el: Element): void {
  el.replaceChildren();
}
