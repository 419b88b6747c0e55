import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import{T as t,V as o}from"./chunk-PG3N6DE2.js";var i=BigInt("3853314791062309107"),a=3600*1e3,s=class extends o{get supportsTransactionalDdl(){return!0}get supportsReturning(){return!0}async acquireMigrationLock(e,r){await t`
    with set_timeout as (
      select set_config('lock_timeout', '${t.lit(a)}', true) as config_val
    )
    select pg_advisory_lock(${t.lit(i)})
    from set_timeout`.execute(e)}async releaseMigrationLock(e,r){await t`select pg_advisory_unlock(${t.lit(i)})`.execute(e)}};export{s as a};
