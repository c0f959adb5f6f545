/**
 * Makes `parent`'s children look like `next` while keeping every element whose place and tag did
 * not change: attributes, text and an input's `checked` are updated in place. A view rebuilt from
 * scratch on every status update (several times a second during a download) swaps the element
 * under a press for a new one, and the browser then drops the click: a listener's 150 ms press
 * on a switch was lost 3 times in 10.
 */
export function patchChildren(parent: Node, next: readonly Node[]): void {
  next.forEach((node, i) => {
    const old = parent.childNodes[i];
    if (!old) parent.appendChild(node);
    else if (!patchNode(old, node)) parent.replaceChild(node, old);
  });
  while (parent.childNodes.length > next.length) parent.lastChild!.remove();
}

/** Updates `old` to match `node` when both are the same kind of node; false when it cannot. */
function patchNode(old: Node, node: Node): boolean {
  if (old.nodeType !== node.nodeType || old.nodeName !== node.nodeName) return false;
  if (!(old instanceof Element) || !(node instanceof Element)) {
    if (old.nodeValue !== node.nodeValue) old.nodeValue = node.nodeValue;
    return true;
  }
  for (const { name } of [...old.attributes]) if (!node.hasAttribute(name)) old.removeAttribute(name);
  for (const { name, value } of [...node.attributes]) if (old.getAttribute(name) !== value) old.setAttribute(name, value);
  if (old instanceof HTMLInputElement && node instanceof HTMLInputElement) old.checked = node.hasAttribute('checked');
  patchChildren(old, [...node.childNodes]);
  return true;
}
