-- Session state: settings, transaction modes, roles, DISCARD, temporary tables.
-- (DateStyle is left to each session's start: libpq sends PGDATESTYLE, the reference
-- never starts a session, so only what both see the same is checked.)
set datestyle = iso;
reset datestyle;
show datestyle;
set datestyle = 'sql, dmy';
select '2021-02-03'::date, '2021-02-03 04:05:06'::timestamp;
reset datestyle;
select '2021-02-03'::date;
set intervalstyle = postgres_verbose;
select interval '1 day 2 hours';
reset intervalstyle;
show timezone;
set timezone = 'Europe/Paris';
show timezone;
reset timezone;
show timezone;
set work_mem = '8MB';
show work_mem;
reset all;
show work_mem;
begin;
set transaction read only;
set transaction read write;
commit;
begin;
set transaction read only;
create table ro(x int);
rollback;
begin read only;
select current_setting('transaction_read_only');
commit;
begin isolation level serializable;
show transaction_isolation;
commit;
set default_transaction_read_only = on;
create table ro(x int);
reset default_transaction_read_only;
create role alice;
create role bob nologin;
select current_user, session_user;
set session authorization alice;
select current_user, session_user;
create table denied(x int);
-- PGlite's single-user session keeps no reset value for session_authorization, so on the
-- reference RESET SESSION AUTHORIZATION leaves alice in place and reports an empty
-- session_authorization; pglite-go returns to the login role and reports it, as
-- PostgreSQL does. The next statement puts the reference back in step.
-- diff: exclude PGlite keeps the role on RESET SESSION AUTHORIZATION (pglite-go does as PostgreSQL)
reset session authorization;
-- diff: exclude puts the reference back in step (it reports the change, pglite-go has none to report)
set session authorization postgres;
select current_user, session_user;
set role bob;
select current_user, session_user;
reset role;
select current_user;
set session authorization bob;
set role alice;
select current_user, session_user;
-- diff: exclude PGlite keeps the role on RESET SESSION AUTHORIZATION (pglite-go does as PostgreSQL)
reset session authorization;
-- diff: exclude puts the reference back in step (it reports the change, pglite-go has none to report)
set session authorization postgres;
select current_user, session_user;
prepare p(int) as select $1 + 1;
execute p(41);
create temp table tmp1(id int primary key, v text);
insert into tmp1 values (1, 'a'), (2, 'b');
select * from tmp1 order by id;
select relpersistence from pg_class where relname = 'tmp1';
declare c cursor with hold for select * from tmp1 order by id;
fetch 1 from c;
select count(*) from pg_prepared_statements;
-- diff: exclude DISCARD ALL includes RESET SESSION AUTHORIZATION: PGlite reports an empty session_authorization
discard all;
-- diff: exclude puts the reference back in step (it reports the change, pglite-go has none to report)
set session authorization postgres;
select count(*) from pg_prepared_statements;
execute p(1);
fetch 1 from c;
select * from tmp1;
select current_user;
create temp table tmp2 on commit delete rows as select 1 as x;
begin;
insert into tmp2 values (2);
select * from tmp2;
commit;
select * from tmp2;
discard temp;
select * from tmp2;
begin;
savepoint s1;
select 1/0;
rollback to savepoint s1;
select 'after savepoint';
commit;
begin;
select 1/0;
select 1;
rollback;
