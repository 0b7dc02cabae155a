// Building DOM nodes. Text goes in through text nodes only, never as HTML:
// what the page shows comes from chains anyone can write to.
import { safeHref } from "./format.ts";

type Child = Node | string | null | undefined | false;

export interface Attributes {
  class?: string;
  title?: string;
  /** Set only when http(s); otherwise the element is left without a link. */
  href?: string | null;
  /** A hash route of this page (#/…). */
  route?: string;
  testid?: string;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (attributes.class !== undefined) element.className = attributes.class;
  if (attributes.title !== undefined) element.title = attributes.title;
  if (attributes.testid !== undefined) element.dataset.testid = attributes.testid;
  if (attributes.route !== undefined && attributes.route.startsWith("#/")) {
    element.setAttribute("href", attributes.route);
  } else if (attributes.href !== undefined) {
    const href = safeHref(attributes.href);
    if (href !== null) {
      element.setAttribute("href", href);
      element.setAttribute("rel", "noopener noreferrer");
      element.setAttribute("target", "_blank");
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

/** Replaces `parent`'s children. */
export function replace(parent: Element, ...children: Node[]): void {
  parent.replaceChildren(...children);
}
