import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{B as s}from"./chunk-Y22V3USB.js";import"./chunk-SOZSTNQQ.js";import{c as n}from"./chunk-7PUJRVQV.js";import"./chunk-4FHTIHKH.js";import"./chunk-LK6KPXUE.js";import"./chunk-7QWMKDIK.js";async function f(i,t){let e=await s({cwd:t.cwd,file:i.config}),o=Object.keys(e.gates).length,r=Object.keys(e.services).length,c=Object.keys(e.requirements).length;return t.stdout.write(`${e.file}: valid (${o} gates, ${r} services, ${c} requirements)
`),n.READY}export{f as validateCommand};
