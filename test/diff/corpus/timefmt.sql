-- to_char's TZ and OF fields reach the host's _gmtime_js and _localtime_js imports.
select to_char(now(), 'HH24 TZ') is not null;
select to_char(now(), 'TZ') = 'UTC';
set timezone = 'America/Los_Angeles';
select to_char(now(), 'TZ') in ('PST', 'PDT');
select to_char('2020-07-01 10:00+00'::timestamptz, 'YYYY-MM-DD HH24:MI TZ OF');
select to_char('2020-01-01 10:00+00'::timestamptz, 'HH24 tz of TZH:TZM');
select to_char('2021-03-14 09:59:59+00'::timestamptz, 'YYYY-MM-DD HH24:MI:SS TZ'),
       to_char('2021-03-14 10:00:00+00'::timestamptz, 'YYYY-MM-DD HH24:MI:SS TZ');
select '2020-07-01 10:00+00'::timestamptz, '2020-12-01 10:00+00'::timestamptz;
select extract(timezone from '2020-07-01 10:00+00'::timestamptz);
select '2020-07-01 10:00'::timestamp at time zone 'Europe/Berlin';
set timezone = 'Asia/Kolkata';
select to_char('2020-07-01 10:00+00'::timestamptz, 'HH24:MI TZ OF');
set timezone = 'UTC';
select to_char('2020-07-01 10:00+00'::timestamptz, 'HH24:MI TZ OF');
select now() = current_timestamp, now() <= clock_timestamp();
select pg_sleep(0);
select current_date = now()::date;
