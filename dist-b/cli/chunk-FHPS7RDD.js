import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{f as c}from"./chunk-XA2ORQTJ.js";import{a as m}from"./chunk-BEVYYHGB.js";import{B as s}from"./chunk-Y22V3USB.js";import{a as f}from"./chunk-7PUJRVQV.js";async function g(n,t,e){let a=await s({cwd:t.cwd,file:n.config}),r=await c(a,{env:t.env,ci:m(t.env)});try{return await e(a,r)}finally{await r.close()}}function h(n,t){let e=t.map(o=>o.map(i=>f(i))),a=n.map((o,i)=>Math.max(o.length,...e.map(p=>(p[i]??"").length))),r=o=>o.map((i,p)=>p===o.length-1?i:i.padEnd(a[p])).join("  ").trimEnd();return[r(n),...e.map(r)].join(`
`)}function y(n,t){n.stdout.write(`${JSON.stringify(t,null,2)}
`)}function j(n){return n?n.slice(0,12):"-"}export{g as a,h as b,y as c,j as d};
