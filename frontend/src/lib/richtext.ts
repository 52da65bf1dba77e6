// Message text as people type it: links, `code`, ```code blocks```, *bold*
// and _italic_. Parsed into tokens the view renders as elements (never as
// HTML, so nothing in a message can inject markup). Pure.

export type Token =
  | { type: 'text'; text: string }
  | { type: 'link'; text: string; href: string }
  | { type: 'code'; text: string }
  | { type: 'codeblock'; text: string }
  | { type: 'bold'; text: string }
  | { type: 'italic'; text: string };

// Order matters: code first (its inside is literal), then links, then emphasis.
const pattern =
  /```\n?([\s\S]+?)\n?```|`([^`\n]+)`|(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])|\*([^*\n]+)\*|(?<![\p{L}\p{N}])_([^_\n]+)_(?![\p{L}\p{N}])/gu;

export function parseRichText(text: string): Token[] {
  const out: Token[] = [];
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    const at = m.index ?? 0;
    if (at > last) out.push({ type: 'text', text: text.slice(last, at) });
    if (m[1] !== undefined) out.push({ type: 'codeblock', text: m[1] });
    else if (m[2] !== undefined) out.push({ type: 'code', text: m[2] });
    else if (m[3] !== undefined) out.push({ type: 'link', text: m[3], href: m[3] });
    else if (m[4] !== undefined) out.push({ type: 'bold', text: m[4] });
    else if (m[5] !== undefined) out.push({ type: 'italic', text: m[5] });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ type: 'text', text: text.slice(last) });
  return out;
}
