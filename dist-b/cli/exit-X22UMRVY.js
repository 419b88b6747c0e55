import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{c as a,d as b,e as c}from"./chunk-7PUJRVQV.js";import"./chunk-4FHTIHKH.js";import"./chunk-LK6KPXUE.js";import"./chunk-7QWMKDIK.js";export{a as EXIT,c as describeError,b as exitCodeFor};
