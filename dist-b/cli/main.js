#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{readFileSync as m}from"node:fs";function l(){return JSON.parse(m(new URL("../../package.json",import.meta.url),"utf8")).version}var E=5e3;async function R(e){if(e.length===1&&(e[0]==="--version"||e[0]==="-V"))return process.stdout.write(`${l()}
`),0;let[{buildProgram:d},{describeError:g,exitCodeFor:u,EXIT:s},{stopAll:w,hurry:h,killAllNow:o}]=await Promise.all([import("./program-MVGHZ4TN.js"),import("./exit-X22UMRVY.js"),import("./process-AQUHIBQG.js")]),i=new AbortController,n=0,c=r=>{n++,n===1?(process.stderr.write(`
shipgate: ${r} received \u2014 stopping running gates and services\u2026
`),i.abort(new Error(r))):n===2?(process.stderr.write(`shipgate: stopping immediately (no grace); writing the decision\u2026
`),h(),setTimeout(()=>{process.stderr.write(`shipgate: run did not finish within 5 s of the second signal; exiting without its decision
`),o(),process.exit(s.INTERRUPTED)},E).unref()):(process.stderr.write(`shipgate: third signal; killing everything and exiting now
`),o(),process.exit(s.INTERRUPTED))};process.on("SIGINT",c),process.on("SIGTERM",c);let t=s.READY,f={cwd:process.cwd(),env:process.env,stdout:process.stdout,stderr:process.stderr,signal:i.signal},p=d(f,l(),r=>t=r);try{if(e.length===0)return p.outputHelp(),s.USAGE;await p.parseAsync(e,{from:"user"})}catch(r){let a=g(r);a&&process.stderr.write(`${a}
`),t=u(r)}finally{await w()}return i.signal.aborted&&t!==s.USAGE&&(t=s.INTERRUPTED),t}R(process.argv.slice(2)).then(e=>process.exit(e),e=>{process.stderr.write(`shipgate: internal error: ${e?.stack??String(e)}
`),process.exit(3)});
