/*
 * datetime.c — TOML's four datetime kinds (RFC 3339 with TOML's changes):
 *
 *   offset datetime   1979-05-27T07:32:00.999Z, ...+07:00, ...-07:00
 *   local datetime    1979-05-27T07:32:00 (or a space or 't' for 'T')
 *   local date        1979-05-27
 *   local time        07:32:00.999
 *
 * Every field has exactly its number of digits (four for the year, two for
 * the others; a fraction any number, at least one) and is range-checked:
 * months 1-12, days up to the month's length (February 29 only in leap
 * years), hours 0-23, minutes 0-59, seconds 0-60 (RFC 3339 allows a leap
 * second), offsets up to 23:59.  Pure functions of the text.
 */
#include <string.h>

#include "toml_impl.h"

/* n decimal digits at s[*k], advancing *k; -1 if they are not there. */
static int fixed(const char *s, size_t len, size_t *k, int n)
{
    int v = 0;
    for (int j = 0; j < n; j++, (*k)++) {
        if (*k >= len || s[*k] < '0' || s[*k] > '9')
            return -1;
        v = v * 10 + (s[*k] - '0');
    }
    return v;
}

static bool expect(const char *s, size_t len, size_t *k, char c)
{
    if (*k < len && s[*k] == c) {
        (*k)++;
        return true;
    }
    return false;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static const char *date(const char *s, size_t len, size_t *k, kiln_toml_datetime *dt)
{
    dt->year = fixed(s, len, k, 4);
    if (dt->year < 0 || !expect(s, len, k, '-'))
        return "expected YYYY-MM-DD";
    dt->month = fixed(s, len, k, 2);
    if (dt->month < 0 || !expect(s, len, k, '-'))
        return "expected YYYY-MM-DD";
    dt->day = fixed(s, len, k, 2);
    if (dt->day < 0)
        return "expected YYYY-MM-DD";
    if (dt->month < 1 || dt->month > 12)
        return "month out of range";
    if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month))
        return "day out of range for the month";
    return NULL;
}

static const char *fraction(const char *s, size_t len, size_t *k, kiln_toml_datetime *dt)
{
    if (!expect(s, len, k, '.'))
        return NULL;
    size_t start = *k;
    uint32_t ns = 0;
    while (*k < len && s[*k] >= '0' && s[*k] <= '9') {
        if (*k - start < 9)
            ns = ns * 10 + (uint32_t)(s[*k] - '0');
        (*k)++;
    }
    size_t digits = *k - start;
    if (digits == 0)
        return "expected digits after the '.'";
    for (size_t d = digits; d < 9; d++)
        ns *= 10;
    dt->nanosecond = ns;
    dt->frac_digits = digits > 1000 ? 1000 : (int)digits;
    return NULL;
}

static const char *time_of_day(const char *s, size_t len, size_t *k, kiln_toml_datetime *dt)
{
    dt->hour = fixed(s, len, k, 2);
    if (dt->hour < 0 || !expect(s, len, k, ':'))
        return "expected HH:MM:SS";
    dt->minute = fixed(s, len, k, 2);
    if (dt->minute < 0 || !expect(s, len, k, ':'))
        return "expected HH:MM:SS";
    dt->second = fixed(s, len, k, 2);
    if (dt->second < 0)
        return "expected HH:MM:SS";
    if (dt->hour > 23)
        return "hour out of range";
    if (dt->minute > 59)
        return "minute out of range";
    if (dt->second > 60)
        return "second out of range";
    return fraction(s, len, k, dt);
}

static const char *offset(const char *s, size_t len, size_t *k, kiln_toml_datetime *dt)
{
    if (expect(s, len, k, 'Z') || expect(s, len, k, 'z'))
        return NULL;
    int sign = expect(s, len, k, '+') ? 1 : expect(s, len, k, '-') ? -1 : 0;
    if (!sign)
        return "expected Z or an offset";
    int h = fixed(s, len, k, 2);
    if (h < 0 || !expect(s, len, k, ':'))
        return "expected an offset +HH:MM";
    int m = fixed(s, len, k, 2);
    if (m < 0)
        return "expected an offset +HH:MM";
    if (h > 23 || m > 59)
        return "offset out of range";
    dt->offset_minutes = sign * (h * 60 + m);
    return NULL;
}

const char *tp_parse_datetime(const char *s, size_t len, kiln_toml_datetime *dt)
{
    memset(dt, 0, sizeof *dt);
    size_t k = 0;
    const char *why;
    if (len >= 3 && s[2] == ':') {
        dt->kind = KILN_TOML_TIME_LOCAL;
        why = time_of_day(s, len, &k, dt);
    } else if ((why = date(s, len, &k, dt)) == NULL) {
        dt->kind = KILN_TOML_DATE_LOCAL;
        if (k < len && (s[k] == 'T' || s[k] == 't' || s[k] == ' ')) {
            k++;
            dt->kind = KILN_TOML_DATETIME_LOCAL;
            why = time_of_day(s, len, &k, dt);
            if (!why && k < len) {
                dt->kind = KILN_TOML_DATETIME;
                why = offset(s, len, &k, dt);
            }
        }
    }
    if (!why && k != len)
        why = "unexpected characters after it";
    return why;
}
