/**
 * The JUnit report the benchmarks read: realistic for a big Java suite (suites of 500 cases,
 * properties, 2 % failures with messages, stack traces and CDATA output, ~1 % skips,
 * system-out on every tenth case). Shared by bench/junit-parse.ts and bench/huge-suite.ts so both
 * measure the same file.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export const PER_SUITE = 500;

/** Write a report of `n` test cases to `path`. */
export async function generateJunit(path: string, n: number): Promise<void> {
  const out = createWriteStream(path);
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write(`<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench" tests="${n}">\n`);
  for (let i = 0; i < n; ) {
    const s = i / PER_SUITE;
    await write(`  <testsuite name="com.acme.module${s}.ServiceTest" tests="${PER_SUITE}" time="12.5" timestamp="2024-05-01T10:00:00">\n`);
    await write('    <properties><property name="java.version" value="21"/><property name="os" value="linux"/></properties>\n');
    for (let k = 0; k < PER_SUITE && i < n; k++, i++) {
      const head = `    <testcase classname="com.acme.module${s}.ServiceTest" name="handles case ${i} [param=${k % 7}]" time="0.0${(i % 90) + 10}"`;
      if (i % 50 === 7) {
        await write(
          `${head}><failure message="expected: &lt;200&gt; but was: &lt;500&gt;" type="AssertionError">java.lang.AssertionError: expected 200\n\tat com.acme.ServiceTest.handles(ServiceTest.java:${i % 400})\n\tat java.base/java.lang.Thread.run(Thread.java:1583)</failure><system-out><![CDATA[request id=${i} <body> & more\nresponse 500]]></system-out></testcase>\n`,
        );
      } else if (i % 97 === 3) {
        await write(`${head}><skipped message="disabled on linux"/></testcase>\n`);
      } else if (i % 10 === 1) {
        await write(`${head}><system-out><![CDATA[log line for ${i}\nsecond line]]></system-out></testcase>\n`);
      } else {
        await write(`${head}/>\n`);
      }
    }
    await write('  </testsuite>\n');
  }
  out.end('</testsuites>\n');
  await once(out, 'finish');
}
