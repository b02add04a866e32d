// Reading markdown as the docs test needs it: fenced samples with their
// "not run" markers, links, and the anchors GitHub gives headings.

export interface Sample {
  page: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's language, lower case ('' for none). */
  lang: string;
  code: string;
  /** The reason of a `<!-- sample: not run (reason) -->` just before the fence. */
  notRun?: string;
}

const FENCE = /^( *)(`{3,})\s*([\w-]*)/;
const NOT_RUN = /^\s*<!-- sample: not run \((.+)\) -->\s*$/;

export function extractSamples(page: string, text: string): Sample[] {
  const lines = text.split('\n');
  const samples: Sample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent, ticks, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !new RegExp(`^ *${ticks}\\s*$`).test(lines[j]!); j++) {
      body.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!.trimStart());
    }
    const marker = i > 0 ? NOT_RUN.exec(lines[i - 1]!) : null;
    samples.push({ page, line: i + 1, lang: lang!.toLowerCase(), code: body.length ? `${body.join('\n')}\n` : '', ...(marker ? { notRun: marker[1]! } : {}) });
    i = j;
  }
  return samples;
}

/** The text outside fenced code. */
function prose(text: string): string {
  return text.replace(/^ *(`{3,})[^\n]*\n[\s\S]*?^ *\1\s*$/gm, '');
}

/** Targets of `[text](target)` and `![alt](target)` links outside code. */
export function markdownLinks(text: string): string[] {
  const withoutInlineCode = prose(text).replace(/`[^`\n]*`/g, '');
  return [...withoutInlineCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

/** The anchors GitHub derives from a page's headings. */
export function headingAnchors(text: string): string[] {
  const seen = new Map<string, number>();
  const anchors: string[] = [];
  for (const [, title] of prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = title!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.push(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}
