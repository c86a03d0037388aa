/*
 * kiln_toml.h — a TOML 1.0 parser: text in, a read-only document tree out.
 *
 * It knows nothing about what the document means (kiln serve reads Spin
 * manifests with it); it only checks that the text is TOML 1.0 and gives
 * typed access to the values, each with the line and column where it was
 * written, so that a caller can report its own errors against the source.
 *
 *   kiln_toml_doc    a parsed document; owns every value in it.
 *   kiln_toml_value  one value (a table, array, string, integer, float,
 *                    bool or one of the four datetime kinds), borrowed from
 *                    its document and valid until kiln_toml_free.
 *
 * Ownership follows kiln.h: only kiln_toml_parse hands out something to
 * free.  Strings returned by getters are NUL-terminated for convenience but
 * may contain NUL themselves (written as \u0000): use the length.  Keys are
 * compared byte for byte.  Lines and columns count from 1; columns count
 * Unicode characters, not bytes.
 *
 * Errors are values: kiln_toml_parse fills a kiln_toml_error (line, column
 * and a message such as `3:14: duplicate key "name"`) and leaves *out
 * untouched.  Getters of the wrong type return false (or NULL) and never
 * abort.  The library never prints and keeps no global state; a document
 * may be read by several threads at once.  Nesting of arrays and tables
 * deeper than KILN_TOML_MAX_DEPTH is refused, so walking a tree recursively
 * is safe.
 */
#ifndef KILN_TOML_H
#define KILN_TOML_H

#include "kiln.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_TOML_MAX_DEPTH 256

typedef struct kiln_toml_doc kiln_toml_doc;
typedef struct kiln_toml_value kiln_toml_value;

typedef enum kiln_toml_type {
    KILN_TOML_TABLE = 1,
    KILN_TOML_ARRAY,
    KILN_TOML_STRING,
    KILN_TOML_INTEGER,
    KILN_TOML_FLOAT,
    KILN_TOML_BOOL,
    KILN_TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
    KILN_TOML_DATETIME_LOCAL, /* 1979-05-27T07:32:00 */
    KILN_TOML_DATE_LOCAL,     /* 1979-05-27 */
    KILN_TOML_TIME_LOCAL,     /* 07:32:00 */
} kiln_toml_type;

typedef struct kiln_toml_pos {
    uint32_t line, column;
} kiln_toml_pos;

typedef struct kiln_toml_error {
    kiln_toml_pos pos;   /* where the text stops being valid TOML */
    char message[256];   /* "LINE:COL: what is wrong", NUL-terminated */
} kiln_toml_error;

/* A datetime of any of the four kinds.  Fields a kind does not have are 0
 * (a local time has no date, a local date no time, only an offset datetime
 * has an offset).  text is the value as written (e.g. with a space or a
 * lower-case 't' between date and time), borrowed from the document. */
typedef struct kiln_toml_datetime {
    kiln_toml_type kind;
    int year, month, day;
    int hour, minute, second;
    uint32_t nanosecond;     /* fractional seconds, truncated to 9 digits */
    int frac_digits;         /* how many fractional digits were written */
    int offset_minutes;      /* east of UTC; Z is 0 */
    const char *text;
    size_t text_len;
} kiln_toml_datetime;

/* Parses len bytes of text (UTF-8, with or without a byte order mark; a
 * NUL byte or invalid UTF-8 anywhere is an error).  On success *out is a
 * new document; on failure it returns false, fills *err (when not NULL)
 * and leaves *out untouched. */
KILN_API bool kiln_toml_parse(const char *text, size_t len, kiln_toml_doc **out,
                              kiln_toml_error *err);
KILN_API void kiln_toml_free(kiln_toml_doc *doc);

/* The document's root table. */
KILN_API const kiln_toml_value *kiln_toml_root(const kiln_toml_doc *doc);

KILN_API kiln_toml_type kiln_toml_type_of(const kiln_toml_value *v);
/* Where the value was written: its first character; for a table defined
 * by a [header] or [[header]] the '[', for one made by a dotted key or as
 * the parent of a header's key, that key. */
KILN_API kiln_toml_pos kiln_toml_pos_of(const kiln_toml_value *v);
/* "table", "array", "string", "integer", "float", "bool", "datetime",
 * "datetime-local", "date-local" or "time-local" (toml-test's names). */
KILN_API const char *kiln_toml_type_name(kiln_toml_type t);

/* Tables: keys in document order (the order in which each key was first
 * written).  Lookups return NULL for a missing key or a non-table. */
KILN_API size_t kiln_toml_table_size(const kiln_toml_value *table);
KILN_API const kiln_toml_value *kiln_toml_table_get(const kiln_toml_value *table,
                                                    const char *key);
KILN_API const kiln_toml_value *kiln_toml_table_getn(const kiln_toml_value *table,
                                                     const char *key, size_t key_len);
/* The i-th key (NULL past the end), its length in *len when len is not
 * NULL; where the key was written; the i-th value. */
KILN_API const char *kiln_toml_table_key(const kiln_toml_value *table, size_t i, size_t *len);
KILN_API kiln_toml_pos kiln_toml_table_key_pos(const kiln_toml_value *table, size_t i);
KILN_API const kiln_toml_value *kiln_toml_table_value(const kiln_toml_value *table, size_t i);

/* Arrays (including arrays of tables made with [[header]]). */
KILN_API size_t kiln_toml_array_len(const kiln_toml_value *array);
KILN_API const kiln_toml_value *kiln_toml_array_get(const kiln_toml_value *array, size_t i);

/* Scalars: true and the value if v has that type, else false and *out
 * untouched.  Integers are the full int64 range (larger ones are a parse
 * error); floats include inf and nan. */
KILN_API bool kiln_toml_string(const kiln_toml_value *v, const char **s, size_t *len);
KILN_API bool kiln_toml_int(const kiln_toml_value *v, int64_t *out);
KILN_API bool kiln_toml_float(const kiln_toml_value *v, double *out);
KILN_API bool kiln_toml_bool(const kiln_toml_value *v, bool *out);
/* Any of the four datetime kinds; out->kind says which. */
KILN_API bool kiln_toml_datetime_get(const kiln_toml_value *v, kiln_toml_datetime *out);

#ifdef __cplusplus
}
#endif

#endif
