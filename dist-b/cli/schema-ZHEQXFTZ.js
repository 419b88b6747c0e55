import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{v as o}from"./chunk-SOZSTNQQ.js";import{c as t}from"./chunk-7PUJRVQV.js";import"./chunk-4FHTIHKH.js";import"./chunk-LK6KPXUE.js";import"./chunk-7QWMKDIK.js";function r(){return`${JSON.stringify(o(),null,2)}
`}function f(n){return n.stdout.write(r()),t.READY}export{f as schemaCommand};
