// Phones: the system font size must reach the UI, so no font size is fixed in px; the viewport
// follows the device width and lets people zoom.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const src = `${__dirname}/`;
const styles = [
  ['app.css', readFileSync(`${src}app.css`, 'utf8')],
  ...['screens', 'components'].flatMap((dir) =>
    readdirSync(`${src}${dir}`)
      .filter((f) => f.endsWith('.svelte'))
      .map((f) => [f, readFileSync(`${src}${dir}/${f}`, 'utf8')]),
  ),
  ['App.svelte', readFileSync(`${src}App.svelte`, 'utf8')],
];

describe('layout for phones', () => {
  it('sets no font size in px', () => {
    const fixed = styles.flatMap(([file, text]) =>
      [...text.matchAll(/font(?:-size)?\s*:[^;]*\b\d+(?:\.\d+)?px/g)].map((m) => `${file}: ${m[0]}`),
    );
    expect(fixed).toEqual([]);
  });

  it('keeps the toast in the flow and scrolls controls clear of the fixed back bar', () => {
    const css = styles.find(([f]) => f === 'app.css')![1];
    const rule = (selector: string) => new RegExp(`(^|\\n)${selector.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\{([^}]*)\\}`).exec(css)?.[2] ?? '';
    // The toast never lies over the screen: no fixed or absolute position, wherever it is styled.
    const toastRules = [...css.matchAll(/([^{}]*\.toast[^{}]*)\{([^}]*)\}/g)].map((m) => `${m[1].trim()} { ${m[2]} }`);
    expect(toastRules.length).toBeGreaterThan(0);
    for (const r of toastRules) expect(r).not.toMatch(/position\s*:\s*(fixed|absolute)/);
    // Only the back bar is fixed at the bottom, and scrolling keeps room for it.
    expect(rule('.bottom-bar')).toMatch(/position\s*:\s*fixed/);
    expect(rule('html:has(.screen.with-bottom-bar)')).toMatch(/scroll-padding-bottom\s*:/);
  });

  it('has a device-width viewport that allows zoom', () => {
    const html = readFileSync(`${src}../index.html`, 'utf8');
    const viewport = /<meta name="viewport" content="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(viewport).toContain('width=device-width');
    expect(viewport).toContain('initial-scale=1');
    expect(viewport).not.toMatch(/user-scalable\s*=\s*no|maximum-scale\s*=\s*1\b/);
  });
});
