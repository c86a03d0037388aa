/*
 * manifest_files.c — a component's `files` and `exclude_files`: which host
 * files its guest may read, and where it sees them.
 *
 * Spin accepts glob patterns (every "*.css" below "static", say; served at
 * the same path relative to the guest's "/"), plain paths (a file, or a directory
 * meaning all of it) and `{ source = "dir", destination = "/path" }`; it
 * copies every matching file into a temporary tree and mounts that at "/".
 * kiln's WASI grants whole directories (preopens), not files, so it does
 * the same where it must and avoids it where it can:
 *
 *   - when every entry is a whole directory (a path, a pattern that is a
 *     literal directory followed by the segments "**" and "*", or a
 *     placement), no exclude_files applies and no two guest paths nest,
 *     each directory is granted read-only in place: nothing is copied, and
 *     the guest sees the files Spin's copy would hold (read live, and with
 *     empty directories, which a copy of files drops);
 *   - otherwise every entry is copied into the component's own staging
 *     directory (made with mkdtemp under $TMPDIR, removed by kn_app_free),
 *     which is granted read-only at "/", so overlapping entries merge as
 *     they do in Spin.
 *
 * Nothing leaves the manifest's directory: ".." segments and absolute paths
 * are refused where they are written, and every file or directory reached
 * — through symlinks too — must resolve inside it.  Glob syntax is Spin's
 * (the Rust glob crate's): "*", "?" and "[...]" within one segment, "**" as
 * a whole segment for any number of directories; an exclude pattern is
 * matched against the path relative to the manifest's directory, where "*"
 * also crosses '/'.  Walks stop at KN_FILES_MAX_DEPTH levels (a symlink
 * loop) and KN_FILES_MAX files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest_impl.h"

#define KN_FILES_MAX_DEPTH 32
#define KN_FILES_MAX 100000

/* ---- paths ------------------------------------------------------------------ */

bool kn_mf_rel_ok(const char *rel)
{
    if (!*rel || rel[0] == '/')
        return false;
    for (const char *s = rel; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return false;
        s += n + (s[n] == '/');
    }
    return true;
}

/* REL without empty and "." segments, joined with '/', prefixed by LEAD
 * ("/" for a guest path, "" for a relative one). */
static char *normalize(const char *rel, const char *lead)
{
    size_t len = strlen(rel), at = 0;
    char *out = malloc(len + 2);
    if (!out)
        return NULL;
    for (const char *s = rel; *s;) {
        size_t n = strcspn(s, "/");
        if (n && !(n == 1 && s[0] == '.')) {
            if (at || *lead)
                out[at++] = '/';
            memcpy(out + at, s, n);
            at += n;
        }
        s += n + (s[n] == '/');
    }
    if (!at && *lead)
        out[at++] = '/';
    out[at] = 0;
    return out;
}

static char *join(const char *a, const char *b)
{
    char *s;
    if (!*b || !*a)
        return strdup(*b ? b : a);
    return asprintf(&s, "%s%s%s", a, strcmp(a, "/") ? "/" : "", b) < 0 ? NULL : s;
}

static bool under(const char *path, const char *dir)
{
    size_t dl = strlen(dir);
    return !strcmp(dir, "/") || (!strncmp(path, dir, dl) && (path[dl] == '/' || !path[dl]));
}

char *kn_mf_inside(kn_mctx *c, const char *rel, kiln_toml_pos pos, const char *what)
{
    char *joined = join(c->app->dir, rel);
    if (!joined) {
        kn_mf_nomem(c);
        return NULL;
    }
    char *real = realpath(joined, NULL);
    free(joined);
    if (!real) {
        kn_mf_fail(c, pos, "%s \"%s\" %s", what, rel,
                   errno == ENOENT ? "does not exist" : strerror(errno));
        return NULL;
    }
    if (!under(real, c->app->dir)) {
        kn_mf_fail(c, pos, "%s \"%s\" leads outside the manifest's directory (to %s)", what, rel,
                   real);
        free(real);
        return NULL;
    }
    return real;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void kn_mf_remove_tree(const char *path)
{
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- phase one: the form ------------------------------------------------------ */

static bool is_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static int check_pattern(kn_mctx *c, const kiln_toml_value *v, const char *s, const char *where)
{
    size_t n = strlen(s);
    if (!kn_mf_rel_ok(s))
        return kn_mf_fail(c, kiln_toml_pos_of(v),
                          "file pattern \"%s\" in %s leaves the manifest's directory: write a "
                          "path relative to it, without \"..\"", s, where);
    if (!strcmp(s, ".") || (n >= 2 && !strcmp(s + n - 2, "/.")))
        return kn_mf_fail(c, kiln_toml_pos_of(v),
                          "file pattern \"%s\" in %s can't end in \".\": to include a directory, "
                          "use { source = \"...\", destination = \"/...\" } or a pattern ending "
                          "in \"**/*\"", s, where);
    return 0;
}

static int check_placement(kn_mctx *c, const kiln_toml_value *t, const char *where)
{
    const kiln_toml_value *src = NULL, *dst = NULL;
    for (size_t i = 0; i < kiln_toml_table_size(t); i++) {
        const char *k = kiln_toml_table_key(t, i, NULL);
        if (!strcmp(k, "source"))
            src = kiln_toml_table_value(t, i);
        else if (!strcmp(k, "destination"))
            dst = kiln_toml_table_value(t, i);
        else
            return kn_mf_unknown(c, t, i, "a files entry");
    }
    if (!src || !dst)
        return kn_mf_fail(c, kiln_toml_pos_of(t),
                          "a files entry in %s needs both \"source\" and \"destination\"", where);
    const char *s = kn_mf_str(c, src, "source", "a files entry"),
               *d = kn_mf_str(c, dst, "destination", "a files entry");
    if (!s || !d)
        return -1;
    if (!kn_mf_rel_ok(s))
        return kn_mf_fail(c, kiln_toml_pos_of(src),
                          "files source \"%s\" in %s leaves the manifest's directory: write a "
                          "path relative to it, without \"..\"", s, where);
    if (d[0] != '/' || !(d[1] == 0 || kn_mf_rel_ok(d + 1)))
        return kn_mf_fail(c, kiln_toml_pos_of(dst),
                          "files destination \"%s\" in %s must be an absolute guest path "
                          "without \"..\"", d, where);
    return 0;
}

int kn_mf_files_check(kn_mctx *c, const kiln_toml_value *files, const kiln_toml_value *exclude,
                      const char *where)
{
    if (exclude) {
        char **tmp = NULL;
        size_t n = 0;
        int r = kn_mf_str_array(c, exclude, "exclude_files", where, &tmp, &n);
        for (size_t i = 0; i < n; i++)
            free(tmp[i]);
        free(tmp);
        if (r)
            return -1;
    }
    if (!files)
        return 0;
    if (kiln_toml_type_of(files) != KILN_TOML_ARRAY)
        return kn_mf_fail(c, kiln_toml_pos_of(files), "\"files\" in %s must be an array, not %s",
                          where, kiln_toml_type_name(kiln_toml_type_of(files)));
    for (size_t i = 0; i < kiln_toml_array_len(files); i++) {
        const kiln_toml_value *e = kiln_toml_array_get(files, i);
        const char *s;
        if (kiln_toml_type_of(e) == KILN_TOML_TABLE) {
            if (check_placement(c, e, where))
                return -1;
        } else if (kiln_toml_type_of(e) == KILN_TOML_STRING) {
            if (!(s = kn_mf_str(c, e, "files", where)) || check_pattern(c, e, s, where))
                return -1;
        } else {
            return kn_mf_fail(c, kiln_toml_pos_of(e),
                              "each entry of \"files\" in %s must be a string or "
                              "{ source = \"...\", destination = \"/...\" }, not %s",
                              where, kiln_toml_type_name(kiln_toml_type_of(e)));
        }
    }
    return 0;
}

/* ---- phase two: what each entry names ---------------------------------------- */

enum { ENT_DIR, ENT_FILE, ENT_GLOB };

typedef struct fentry {
    int kind;
    char *host;  /* DIR, FILE: absolute, inside the app's dir */
    char *rel;   /* DIR, FILE: relative to the app's dir; GLOB: the pattern */
    char *guest; /* DIR: where it is seen; FILE: its guest path */
    kiln_toml_pos pos;
} fentry;

typedef struct fset {
    kn_mctx *c;
    kn_component *comp;
    fentry *e;
    size_t n;
    char **excl;
    size_t nexcl;
    char *stage; /* the component's staging dir while copying */
    size_t copied;
} fset;

static void fset_free(fset *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        free(fs->e[i].host);
        free(fs->e[i].rel);
        free(fs->e[i].guest);
    }
    free(fs->e);
    for (size_t i = 0; i < fs->nexcl; i++)
        free(fs->excl[i]);
    free(fs->excl);
    free(fs->stage);
}

/* Adds an entry; takes HOST (may be NULL) whatever happens. */
static int add_entry(fset *fs, int kind, char *host, const char *rel, const char *guest,
                     kiln_toml_pos pos)
{
    fentry *e = realloc(fs->e, (fs->n + 1) * sizeof *e);
    if (!e) {
        free(host);
        return kn_mf_nomem(fs->c);
    }
    fs->e = e;
    e = &e[fs->n++];
    *e = (fentry){kind, host, rel ? normalize(rel, "") : NULL, guest ? normalize(guest, "/") : NULL,
                  pos};
    if ((rel && !e->rel) || (guest && !e->guest))
        return kn_mf_nomem(fs->c);
    return 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* A pattern made of a literal directory DIR (maybe none) and then the two
 * segments "**" and "*": all of DIR. */
static int whole_dir_pattern(const char *s, size_t *dirlen)
{
    size_t n = strlen(s);
    if (n < 4 || strcmp(s + n - 4, "**/*") || (n > 4 && s[n - 5] != '/'))
        return 0;
    *dirlen = n > 4 ? n - 5 : 0;
    return !strpbrk(s, "?[") && !memchr(s, '*', *dirlen);
}

static int pattern_entry(fset *fs, const kiln_toml_value *v, const char *s)
{
    kn_mctx *c = fs->c;
    kiln_toml_pos pos = kiln_toml_pos_of(v);
    char *norm = normalize(s, "");
    if (!norm)
        return kn_mf_nomem(c);
    size_t dl;
    int r;
    char *joined = join(c->app->dir, norm);
    int exists = joined && !access(joined, F_OK);
    free(joined);
    if (exists) { /* Spin looks for the path before treating it as a pattern */
        char *host = kn_mf_inside(c, norm, pos, "file");
        r = host ? add_entry(fs, is_dir(host) ? ENT_DIR : ENT_FILE, host, norm, norm, pos) : -1;
    } else if (whole_dir_pattern(norm, &dl)) {
        norm[dl] = 0;
        char *host = kn_mf_inside(c, dl ? norm : ".", pos, "directory");
        if (host && !is_dir(host))
            r = kn_mf_fail(c, pos, "\"%s\" in \"%s\" is not a directory", norm, s);
        else
            r = host ? add_entry(fs, ENT_DIR, host, norm, norm, pos) : -1;
        if (!r && !dl)
            r = kn_mf_warn(c, pos, "component \"%s\" includes the whole application directory "
                                   "(\"**/*\") as files", fs->comp->id);
    } else if (is_glob(norm)) {
        r = add_entry(fs, ENT_GLOB, NULL, norm, NULL, pos);
    } else {
        r = kn_mf_fail(c, pos, "file \"%s\" does not exist and is not a glob pattern", s);
    }
    free(norm);
    return r;
}

static int placement_entry(fset *fs, const kiln_toml_value *t)
{
    const char *s = NULL, *d = NULL;
    const kiln_toml_value *src = kiln_toml_table_get(t, "source");
    kiln_toml_string(src, &s, NULL);
    kiln_toml_string(kiln_toml_table_get(t, "destination"), &d, NULL);
    char *host = kn_mf_inside(fs->c, s, kiln_toml_pos_of(src), "files source");
    if (!host)
        return -1;
    return add_entry(fs, is_dir(host) ? ENT_DIR : ENT_FILE, host, s, d, kiln_toml_pos_of(src));
}

/* Whether guest path A is B or holds it. */
static bool nests(const char *a, const char *b)
{
    return under(b, a);
}

/* Whole directories only, nothing excluded, no guest path inside another. */
static bool can_grant_in_place(const fset *fs)
{
    if (fs->nexcl)
        return false;
    for (size_t i = 0; i < fs->n; i++) {
        if (fs->e[i].kind != ENT_DIR)
            return false;
        for (size_t j = 0; j < i; j++)
            if (nests(fs->e[i].guest, fs->e[j].guest) || nests(fs->e[j].guest, fs->e[i].guest))
                return false;
    }
    return true;
}

static int add_grant(kn_mctx *c, kn_component *comp, const char *host, const char *guest)
{
    kn_dir_grant *d = realloc(comp->dirs, (comp->ndirs + 1) * sizeof *d);
    if (!d)
        return kn_mf_nomem(c);
    comp->dirs = d;
    d[comp->ndirs] = (kn_dir_grant){strdup(host), strdup(guest)};
    if (!d[comp->ndirs].host_path || !d[comp->ndirs].guest_path) {
        free(d[comp->ndirs].host_path);
        free(d[comp->ndirs].guest_path);
        return kn_mf_nomem(c);
    }
    comp->ndirs++;
    return 0;
}

/* ---- phase two: copying --------------------------------------------------------- */

/* Does PATTERN (split at '/', from segment I) match PATH's segments from J?
 * "**" takes any number of segments. */
static bool seg_match(char **pat, size_t np, size_t i, char **path, size_t n, size_t j)
{
    for (; i < np; i++, j++) {
        if (!strcmp(pat[i], "**")) {
            for (size_t k = j; k <= n; k++)
                if (seg_match(pat, np, i + 1, path, n, k))
                    return true;
            return false;
        }
        if (j >= n || fnmatch(pat[i], path[j], 0))
            return false;
    }
    return j == n;
}

/* S split at '/' into *SEGS (pointers into *BUF). */
static int split(const char *s, char **buf, char ***segs, size_t *n)
{
    size_t cnt = 1;
    for (const char *p = s; *p; p++)
        cnt += *p == '/';
    if (!(*buf = strdup(s)) || !(*segs = malloc(cnt * sizeof **segs))) {
        free(*buf);
        return -1;
    }
    *n = 0;
    for (char *save = NULL, *t = strtok_r(*buf, "/", &save); t; t = strtok_r(NULL, "/", &save))
        (*segs)[(*n)++] = t;
    return 0;
}

static int excluded(fset *fs, const char *app_rel, bool *out)
{
    *out = false;
    char *pb = NULL, *rb = NULL, **ps = NULL, **rs = NULL;
    size_t np, nr;
    if (split(app_rel, &rb, &rs, &nr))
        return kn_mf_nomem(fs->c);
    for (size_t i = 0; i < fs->nexcl && !*out; i++) {
        if (!fnmatch(fs->excl[i], app_rel, 0)) {
            *out = true;
        } else if (!split(fs->excl[i], &pb, &ps, &np)) {
            *out = seg_match(ps, np, 0, rs, nr, 0);
            free(pb);
            free(ps);
        } else {
            free(rb);
            free(rs);
            return kn_mf_nomem(fs->c);
        }
    }
    free(rb);
    free(rs);
    return 0;
}

/* mkdir -p of DEST's parent directories, below the staging dir. */
static int make_parents(const char *dest, size_t from)
{
    char *p = strdup(dest);
    if (!p)
        return -1;
    for (char *s = p + from + 1; (s = strchr(s, '/')); s++) {
        *s = 0;
        if (mkdir(p, 0755) && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    free(p);
    return 0;
}

static int copy_fd(int in, int out)
{
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return (int)n;
        for (ssize_t at = 0; at < n;) {
            ssize_t w = write(out, buf + at, (size_t)(n - at));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return -1;
            at += w;
        }
    }
}

/* Copies SRC (inside the app's dir) to the staging path REL. */
static int copy_file(fset *fs, const char *src, const char *rel, kiln_toml_pos pos)
{
    if (++fs->copied > KN_FILES_MAX)
        return kn_mf_fail(fs->c, pos, "component \"%s\" has more than %d files", fs->comp->id,
                          KN_FILES_MAX);
    char *dest = join(fs->stage, rel);
    if (!dest)
        return kn_mf_nomem(fs->c);
    int in = -1, out = -1, r = make_parents(dest, strlen(fs->stage));
    if (!r && (in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
        r = -1;
    if (!r && (out = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
        r = -1;
    if (!r)
        r = copy_fd(in, out);
    int e = errno;
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out))
        r = -1;
    if (r)
        kn_mf_fail(fs->c, pos, "component \"%s\": cannot copy %s to %s: %s", fs->comp->id, src,
                   dest, strerror(e));
    free(dest);
    return r;
}

typedef struct walk {
    fset *fs;
    kiln_toml_pos pos;
    char **segs;
    size_t nsegs;
    const char *guest; /* DIR: copies go to GUEST/REL; GLOB (NULL): to APP_REL */
} walk;

static int walk_dir(walk *w, const char *abs, const char *app_rel, const char *rel, size_t i,
                    int depth);

/* A symlink PATH must resolve inside the app's dir. */
static int check_link(walk *w, const char *path, const char *arel)
{
    struct stat lst;
    if (lstat(path, &lst) || !S_ISLNK(lst.st_mode))
        return 0;
    char *real = realpath(path, NULL);
    int r = 0;
    if (real && !under(real, w->fs->c->app->dir))
        r = kn_mf_fail(w->fs->c, w->pos,
                       "file \"%s\" is a symlink that leads outside the manifest's directory "
                       "(to %s)", arel, real);
    free(real);
    return r;
}

/* Directory entry NAME of ABS, matched by segment I; a directory under
 * "**" (SAME) is walked with the same segment, else with the next. */
static int walk_entry(walk *w, const char *abs, const char *app_rel, const char *rel,
                      const char *name, size_t i, int same, int depth)
{
    fset *fs = w->fs;
    char *path = join(abs, name), *arel = join(app_rel, name), *r2 = join(rel, name);
    int r = (!path || !arel || !r2) ? kn_mf_nomem(fs->c) : check_link(w, path, arel);
    struct stat st;
    bool last = i + 1 >= w->nsegs, ex = false;
    if (!r && !stat(path, &st)) {
        if (S_ISDIR(st.st_mode) && (same || !last))
            r = walk_dir(w, path, arel, r2, same ? i : i + 1, depth + 1);
        else if (S_ISREG(st.st_mode) && last && !(r = excluded(fs, arel, &ex)) && !ex) {
            char *dest = w->guest ? join(w->guest, r2) : strdup(arel);
            r = dest ? copy_file(fs, path, dest, w->pos) : kn_mf_nomem(fs->c);
            free(dest);
        }
    }
    free(path);
    free(arel);
    free(r2);
    return r;
}

static int walk_dir(walk *w, const char *abs, const char *app_rel, const char *rel, size_t i,
                    int depth)
{
    if (i >= w->nsegs)
        return 0;
    if (depth > KN_FILES_MAX_DEPTH)
        return kn_mf_fail(w->fs->c, w->pos,
                          "files nest deeper than %d directories under %s (a symlink loop?)",
                          KN_FILES_MAX_DEPTH, abs);
    const char *seg = w->segs[i];
    int star2 = !strcmp(seg, "**"), last = i + 1 == w->nsegs;
    /* a "**" that is not last may stand for no directory at all */
    if (star2 && !last && walk_dir(w, abs, app_rel, rel, i + 1, depth))
        return -1;
    DIR *d = opendir(abs);
    if (!d)
        return kn_mf_fail(w->fs->c, w->pos, "cannot read directory %s: %s", abs, strerror(errno));
    int r = 0;
    for (struct dirent *de; !r && (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        /* a last "**" takes every file below; a "**" before more segments,
         * every directory (files are skipped: they are not last) */
        if (star2)
            r = walk_entry(w, abs, app_rel, rel, de->d_name, i, 1, depth);
        else if (!fnmatch(seg, de->d_name, 0))
            r = walk_entry(w, abs, app_rel, rel, de->d_name, i, 0, depth);
    }
    closedir(d);
    return r;
}

/* Walks BASE (absolute; APP_REL relative to the app's dir) with PATTERN. */
static int walk_pattern(fset *fs, const fentry *e, const char *base, const char *app_rel,
                        const char *pattern, const char *guest)
{
    char *buf;
    walk w = {.fs = fs, .pos = e->pos, .guest = guest};
    if (split(pattern, &buf, &w.segs, &w.nsegs))
        return kn_mf_nomem(fs->c);
    int r = walk_dir(&w, base, app_rel, "", 0, 0);
    free(buf);
    free(w.segs);
    return r;
}

static int stage_entry(fset *fs, const fentry *e)
{
    switch (e->kind) {
    case ENT_DIR: /* everything below, at the same place under its guest path */
        return walk_pattern(fs, e, e->host, e->rel, "**", e->guest + 1);
    case ENT_FILE:
        return copy_file(fs, e->host, e->guest + 1, e->pos);
    default:
        return walk_pattern(fs, e, fs->c->app->dir, "", e->rel, NULL);
    }
}

static int make_stage(fset *fs)
{
    kn_app *app = fs->c->app;
    if (!app->staging_root) {
        const char *tmp = getenv("TMPDIR");
        if (asprintf(&app->staging_root, "%s/kiln-serve-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
            app->staging_root = NULL;
            return kn_mf_nomem(fs->c);
        }
        if (!mkdtemp(app->staging_root)) {
            int e = errno;
            free(app->staging_root);
            app->staging_root = NULL;
            return kn_mf_fail(fs->c, (kiln_toml_pos){0, 0},
                              "cannot make a staging directory for files: %s", strerror(e));
        }
    }
    if (!(fs->stage = join(app->staging_root, fs->comp->id)))
        return kn_mf_nomem(fs->c);
    if (mkdir(fs->stage, 0755))
        return kn_mf_fail(fs->c, (kiln_toml_pos){0, 0}, "cannot make %s: %s", fs->stage,
                          strerror(errno));
    return 0;
}

static int stage_all(fset *fs)
{
    if (make_stage(fs))
        return -1;
    for (size_t i = 0; i < fs->n; i++)
        if (stage_entry(fs, &fs->e[i]))
            return -1;
    kn_component *comp = fs->comp;
    if (!(comp->staging_dir = strdup(fs->stage)))
        return kn_mf_nomem(fs->c);
    return add_grant(fs->c, comp, fs->stage, "/");
}

static int collect(fset *fs, const kiln_toml_value *files)
{
    for (size_t i = 0; i < kiln_toml_array_len(files); i++) {
        const kiln_toml_value *e = kiln_toml_array_get(files, i);
        const char *s;
        int r = kiln_toml_string(e, &s, NULL) ? pattern_entry(fs, e, s) : placement_entry(fs, e);
        if (r)
            return -1;
    }
    return 0;
}

int kn_mf_files_load(kn_mctx *c, size_t i, const kiln_toml_value *files,
                     const kiln_toml_value *exclude)
{
    if (!files || !kiln_toml_array_len(files))
        return 0;
    fset fs = {.c = c, .comp = &c->app->components[i]};
    int r = 0;
    for (size_t k = 0; exclude && k < kiln_toml_array_len(exclude) && !r; k++) {
        const char *s = NULL;
        kiln_toml_string(kiln_toml_array_get(exclude, k), &s, NULL);
        if (kn_mf_push_str(&fs.excl, &fs.nexcl, s))
            r = kn_mf_nomem(c);
    }
    if (!r)
        r = collect(&fs, files);
    if (!r && can_grant_in_place(&fs)) {
        for (size_t k = 0; k < fs.n && !r; k++)
            r = add_grant(c, fs.comp, fs.e[k].host, fs.e[k].guest);
    } else if (!r) {
        r = stage_all(&fs);
    }
    fset_free(&fs);
    return r;
}
