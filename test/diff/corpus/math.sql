-- Floating point, math and time functions: all computed inside the module.
select exp(1::float8), exp(0.5::float8), exp(-745.0::float8), exp(709.0::float8);
select ln(2::float8), ln(10::float8), log(1000::float8), log10(2::float8), log(2::numeric, 1024::numeric);
select power(2::float8, 0.5), power(10::float8, -3), power(0.9949019607843137::float8, 1), power(-8::float8, 1.0/3);
select sqrt(2::float8), cbrt(27::float8), cbrt(2::float8), abs(-1.5::float8);
select sin(1::float8), cos(1::float8), tan(1::float8), asin(0.5::float8), acos(0.5::float8), atan(1::float8), atan2(1::float8, 2::float8);
select sind(30), cosd(60), tand(45), asind(0.5), acosd(0.5), atand(1), cotd(45);
select sinh(1::float8), cosh(1::float8), tanh(1::float8), asinh(1::float8), acosh(2::float8), atanh(0.5::float8);
select 0.1::float8 + 0.2::float8, 1e300::float8 * 10, -0.0::float8, 1/3::float8, 2/3::float4;
select 'NaN'::float8, 'Infinity'::float8, '-Infinity'::float8, 'NaN'::float8 = 'NaN'::float8;
select 1.0e-320::float8, 2.2250738585072014e-308::float8, 1.7976931348623157e308::float8;
select 123456789.123456789::float8, 1e15::float8, 1e16::float8, 1.5e-5::float4;
set extra_float_digits = 0;
select pi(), 0.1::float8 + 0.2::float8, 1/3::float4;
reset extra_float_digits;
select round(2.5::float8), round(-2.5::float8), round(2.5::numeric), trunc(-2.7::float8), ceil(-0.5::float8), floor(-0.5::float8);
select 7 / 2, -7 / 2, 7 % 3, -7 % 3, 7::float8 / 2, mod(-7, 3);
select 2147483647::int4 + 1;
select 9223372036854775807::int8 + 1;
select (-2147483648)::int4 / -1;
select 1/0;
select 1/0::float8;
select factorial(20), gcd(12, 18), lcm(4, 6), width_bucket(5.35, 0.024, 10.06, 5);
select setseed(0.5);
select random(), random(), random();
select random(1, 1000), random(-1.5, 1.5);
select setseed(0.5);
select random();
select erf(0.5), erfc(0.5), gamma(5.5), lgamma(100);
-- Date and time arithmetic without now().
select date '2024-02-28' + 1, date '2024-03-01' - date '2023-03-01', date '2023-01-31' + interval '1 month';
select timestamp '2024-01-01 00:00' - timestamp '2023-06-15 12:30', age(timestamp '2024-01-01', timestamp '1990-05-20');
select interval '1 year 2 months 3 days 04:05:06.789' * 2.5, interval '90 minutes' / 4;
select extract(epoch from timestamptz '2024-01-01 00:00+00'), extract(dow from date '2024-07-04'), extract(doy from date '2024-12-31'),
       extract(week from date '2024-12-30'), extract(isoyear from date '2024-12-30'), extract(julian from date '2024-01-01');
select date_trunc('month', timestamp '2024-07-15 13:14:15'), date_trunc('week', timestamp '2024-07-15 13:14:15'),
       date_bin(interval '15 minutes', timestamp '2024-07-15 13:14:15', timestamp '2000-01-01');
select to_char(timestamp '2024-07-04 13:05:09.123456', 'Day, DD Month YYYY HH12:MI:SS.US AM Q WW IW J'),
       to_char(1234567.891, '9G999G999D99'), to_char(-0.5, 'S9.99'), to_char(42, 'RN'), to_char(3.14159::float8, '9.9999EEEE');
select to_date('05 Dec 2000', 'DD Mon YYYY'), to_timestamp('2000-12-05 10:11:12', 'YYYY-MM-DD HH24:MI:SS') at time zone 'UTC';
select make_date(2024, 2, 29), make_timestamp(2024, 2, 29, 12, 30, 45.5), make_interval(years => 1, days => 2, secs => 3.5);
select '2024-02-30'::date;
select justify_interval(interval '1 month -1 hour'), justify_hours(interval '50 hours'), isfinite(date 'infinity');
select generate_series(timestamp '2024-01-01', timestamp '2024-01-02', interval '8 hours');
