import { afterEach, describe, expect, it, vi } from 'vitest';
import * as core from '@actions/core';
import { azureCommands, githubCommands } from '../../test/fixtures/ci/runners.js';
import { HOSTILE } from '../../test/fixtures/ci/decisions.js';
import { escapeGithubData, escapeGithubProperty, escapeHtml, escapeMarkdown, escapeSlack, escapeVsoData, escapeVsoProperty, escapeXml, mdCode, mdPre, slackCode } from './escape.js';
import { defuseAzure } from './ci-guard.js';
import { printable } from '../util/printable.js';

afterEach(() => vi.restoreAllMocks());

/** What @actions/core itself writes for a command (its own escaping), captured from stdout. */
function actionsCore(props: { title: string; file: string }, message: string): string {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  core.error(message, props);
  vi.restoreAllMocks();
  return out.trimEnd();
}

describe('GitHub workflow commands', () => {
  const tricky = ['a:b,c%d', 'line1\nline2\r\nline3', '::error::x', '100% done, really: yes', 'plain'];
  it('escape data and properties byte for byte as @actions/core does (for text without control characters)', () => {
    for (const s of tricky.filter((x) => !/[\r\n]/.test(x))) {
      // @actions/core writes title before file; the runner reads properties in any order.
      expect(`::error title=${escapeGithubProperty(s)},file=${escapeGithubProperty('src/a.ts')}::${escapeGithubData(s)}`).toBe(actionsCore({ title: s, file: 'src/a.ts' }, s.replace(/\r\n/g, '\n')));
    }
  });
  it('round-trip through the runner\'s unescaping: the text comes back, no second command appears', () => {
    for (const s of [...tricky, HOSTILE.gh, `${HOSTILE.gh}\n::warning::two`, HOSTILE.ghLegacy]) {
      const line = `::error title=${escapeGithubProperty(s)}::${escapeGithubData(s)}`;
      const cmds = githubCommands(line);
      expect(cmds).toHaveLength(1);
      // A property is one line: a newline in it shows as \n (printable), never as a break.
      expect(cmds[0]!.props.title).toBe(printable(s));
      expect(cmds[0]!.data).toBe(s.replace(/\r\n/g, '\n'));
    }
  });
  it('data keeps its lines for the runner to show', () => {
    expect(githubCommands(`::error::${escapeGithubData('a\nb')}`)[0]!.data).toBe('a\nb');
  });
  it('an honest neighbour stays as written', () => {
    expect(escapeGithubData('all good')).toBe('all good');
    expect(escapeGithubProperty('src/a.ts')).toBe('src/a.ts');
  });
});

describe('Azure logging commands', () => {
  it('escape as the agent unescapes (parsed back with azure-pipelines-task-lib)', () => {
    for (const s of ['a;b]c%d', 'x\ny', HOSTILE.vso, '100%']) {
      const [cmd] = azureCommands(`##vso[task.logissue type=error;sourcepath=${escapeVsoProperty(s)};]${escapeVsoData(s)}`);
      expect(cmd!.command).toBe('task.logissue');
      expect(cmd!.properties.sourcepath).toBe(s.replace(/\n/g, '\\n'));
      expect(cmd!.message).toBe(s);
    }
  });
  it('defuses ##vso[ and ##[ in plain output, case-insensitively, and leaves other text alone', () => {
    const text = `x ${HOSTILE.vso} ##VSO[task.setvariable variable=a]b ##[error]fake`;
    expect(azureCommands(defuseAzure(text))).toEqual([]);
    expect(defuseAzure(text)).toContain('##vso\\[task.complete result=Succeeded]');
    expect(defuseAzure('no commands here #1 [x]')).toBe('no commands here #1 [x]');
  });
});

describe('Markdown, HTML, XML, Slack', () => {
  it('Markdown: markup, links, mentions and table pipes are text', () => {
    const s = `${HOSTILE.html} | ${HOSTILE.mention} *x* _y_ \`z\``;
    const md = escapeMarkdown(s);
    expect(md).not.toMatch(/<img|[^\\]\*|\[click\]\(|[^&#124;]\|/);
    expect(md).toContain('&lt;img src\\=x onerror\\=alert\\(1\\)&gt;');
    expect(md).toContain('&#124;');
    expect(mdCode('@org/team')).toBe('<code>\\@org\\/team</code>');
    // In prose a mention or an issue reference is broken by an invisible word joiner.
    expect(escapeMarkdown('@org see #12')).toBe('\\@\u2060org see \\#\u206012');
    expect(mdPre('a\n</pre><script>x</script>')).toBe('<pre>a&#10;&lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;</pre>');
    expect(escapeMarkdown('plain words')).toBe('plain words');
  });
  it('HTML and XML: every markup character is an entity; XML drops what XML 1.0 cannot hold', () => {
    expect(escapeHtml(HOSTILE.html)).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(escapeXml(`a"b'c<d>&\u0000\uffff\ud800`)).toBe('a&quot;b&apos;c&lt;d&gt;&amp;\\x00\\uffff\\ud800');
    expect(escapeXml('tab\tnew\nline', { multiline: true })).toBe('tab\tnew\nline');
  });
  it('Slack: control sequences are escaped, formatting stays in code', () => {
    expect(escapeSlack(HOSTILE.slack)).not.toMatch(/<|>/);
    expect(slackCode('`a` *b*')).toBe('`ˋaˋ *b*`');
    expect(escapeSlack('release 1.2')).toBe('release 1.2');
  });
});
