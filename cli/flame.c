/*
 * flame.c — an SVG flame graph from folded stacks (profile.h), written
 * from scratch for kiln: one self-contained file, no external script or
 * stylesheet, that a browser opens directly.
 *
 * Layout: the root ("all") at the bottom, each frame above its caller,
 * as wide as its share of the samples; siblings in name order (so the
 * x axis is not time).  Every frame is a <g class="f"> holding a <title>
 * ("NAME (N samples, P%)"), a <rect> and a <text>, and carries its
 * position in samples (data-x, data-n, data-d: start, width, depth) and
 * its self count (data-self), so the embedded script can zoom (click a
 * frame; "Reset zoom"), search (Ctrl-F or "Search": a regular
 * expression, matches in magenta and their share of all samples; also
 * from the address, FILE.svg#s=REGEX) and
 * name the hottest function (most samples in the function itself) once
 * the page has loaded.  Frames narrower than 0.1 pixel are left out, as
 * in other flame graphs; their samples still count in their callers.
 */
#include <stdlib.h>
#include <string.h>

#include "profile.h"

#define WIDTH 1200
#define PAD 10
#define FRAME_H 16
#define TOP 60
#define BOTTOM 34
#define CHAR_W 7.0 /* of a 12px Verdana glyph, on average, for cutting labels */
#define MIN_W 0.1

typedef struct node {
    const char *name;
    size_t len;
    uint64_t total, self;
    struct node **kids;
    size_t nkids, cap;
} node;

static node *child(node *n, const char *name, size_t len)
{
    for (size_t i = 0; i < n->nkids; i++)
        if (n->kids[i]->len == len && memcmp(n->kids[i]->name, name, len) == 0)
            return n->kids[i];
    if (n->nkids == n->cap) {
        size_t cap = n->cap ? 2 * n->cap : 4;
        node **k = realloc(n->kids, cap * sizeof *k);
        if (!k)
            return NULL;
        n->kids = k;
        n->cap = cap;
    }
    node *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->name = name;
    c->len = len;
    n->kids[n->nkids++] = c;
    return c;
}

static bool add_stack(node *root, const folded_stack *s)
{
    node *n = root;
    root->total += s->count;
    for (const char *p = s->stack; *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (!(n = child(n, p, len)))
            return false;
        n->total += s->count;
        p += len + (end != NULL);
    }
    n->self += s->count;
    return true;
}

static int by_name(const void *a, const void *b)
{
    const node *x = *(node *const *)a, *y = *(node *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int depth_of(node *n)
{
    int d = 0;
    if (n->nkids > 1) /* kids is NULL when there are none */
        qsort(n->kids, n->nkids, sizeof *n->kids, by_name);
    for (size_t i = 0; i < n->nkids; i++) {
        int k = depth_of(n->kids[i]);
        d = k > d ? k : d;
    }
    return d + 1;
}

/* The frame with the most samples in itself, above the root, the first of
 * equals in drawing order: what the script names on load, written here
 * too so that a viewer without scripts (an <img>) shows it. */
static void hottest(const node *n, double scale, const node **best)
{
    for (size_t i = 0; i < n->nkids; i++) {
        const node *k = n->kids[i];
        if ((double)k->total * scale < MIN_W)
            continue;
        if (!*best || k->self > (*best)->self)
            *best = k;
        hottest(k, scale, best);
    }
}

static void free_tree(node *n)
{
    for (size_t i = 0; i < n->nkids; i++) {
        free_tree(n->kids[i]);
        free(n->kids[i]);
    }
    free(n->kids);
}

static void put_escaped(FILE *f, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (s[i]) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(s[i], f);
        }
    }
}

/* A warm colour that depends only on the name, so a function keeps its
 * colour from one profile to the next. */
static void colour(const node *n, unsigned rgb[3])
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n->len; i++)
        h = (h ^ (unsigned char)n->name[i]) * 16777619u;
    rgb[0] = 205 + h % 50;
    rgb[1] = (h >> 8) % 190 + 40;
    rgb[2] = (h >> 16) % 55;
}

typedef struct layout {
    FILE *f;
    double scale;                /* pixels per sample */
    uint64_t total;
    int height;
} layout;

static void put_frame(const layout *l, const node *n, uint64_t x, int depth)
{
    double w = (double)n->total * l->scale;
    if (w < MIN_W)
        return;
    double px = PAD + (double)x * l->scale;
    int y = l->height - BOTTOM - (depth + 1) * FRAME_H;
    unsigned c[3];
    colour(n, c);
    fprintf(l->f, "<g class=\"f\" data-x=\"%llu\" data-n=\"%llu\" data-d=\"%d\" data-self=\"%llu\">"
                  "<title>", (unsigned long long)x, (unsigned long long)n->total, depth,
            (unsigned long long)n->self);
    put_escaped(l->f, n->name, n->len);
    fprintf(l->f, " (%llu samples, %.2f%%)</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" "
                  "height=\"%d\" fill=\"rgb(%u,%u,%u)\" rx=\"2\" ry=\"2\"/><text x=\"%.2f\" "
                  "y=\"%.1f\">",
            (unsigned long long)n->total, 100.0 * (double)n->total / (double)l->total, px, y,
            w, FRAME_H - 1, c[0], c[1], c[2], px + 3, y + 11.5);
    size_t fit = w > 6 ? (size_t)((w - 6) / CHAR_W) : 0;
    if (fit >= n->len)
        put_escaped(l->f, n->name, n->len);
    else if (fit > 2) {
        /* Cut on a character boundary: never inside a UTF-8 sequence. */
        size_t k = fit - 2;
        while (k > 0 && ((unsigned char)n->name[k] & 0xc0) == 0x80)
            k--;
        put_escaped(l->f, n->name, k);
        fputs("..", l->f);
    }
    fputs("</text></g>\n", l->f);
    for (size_t i = 0; i < n->nkids; i++) {
        put_frame(l, n->kids[i], x, depth + 1);
        x += n->kids[i]->total;
    }
}

static const char script[] =
    "\"use strict\";\n"
    "(function () {\n"
    "var svg = document.documentElement, PAD = 10;\n"
    "var W = +svg.getAttribute('width'), TOTAL = +svg.getAttribute('data-total');\n"
    "var frames = Array.prototype.slice.call(document.querySelectorAll('g.f'));\n"
    "var $ = function (id) { return document.getElementById(id); };\n"
    "function num(g, a) { return +g.getAttribute('data-' + a); }\n"
    "function name(g) {\n"
    "  var t = g.querySelector('title').textContent;\n"
    "  return t.slice(0, t.lastIndexOf(' ('));\n"
    "}\n"
    "function label(g, w) {\n"
    "  var s = name(g), n = Math.floor((w - 6) / 7);\n"
    "  g.querySelector('text').textContent =\n"
    "    n >= s.length ? s : n > 2 ? s.slice(0, n - 2) + '..' : '';\n"
    "}\n"
    "function place(g, x, w) {\n"
    "  g.querySelector('rect').setAttribute('x', x.toFixed(2));\n"
    "  g.querySelector('rect').setAttribute('width', w.toFixed(2));\n"
    "  g.querySelector('text').setAttribute('x', (x + 3).toFixed(2));\n"
    "  label(g, w);\n"
    "}\n"
    "function zoom(z) {\n"
    "  var x0 = num(z, 'x'), n = num(z, 'n'), d = num(z, 'd'), k = (W - 2 * PAD) / n;\n"
    "  frames.forEach(function (g) {\n"
    "    var x = num(g, 'x'), m = num(g, 'n'), e = num(g, 'd');\n"
    "    var below = e < d && x <= x0 && x + m >= x0 + n;\n"
    "    var inside = e >= d && x >= x0 && x + m <= x0 + n;\n"
    "    g.style.display = below || inside ? '' : 'none';\n"
    "    g.classList.toggle('below', below);\n"
    "    if (below) place(g, PAD, W - 2 * PAD);\n"
    "    else if (inside) place(g, PAD + (x - x0) * k, m * k);\n"
    "  });\n"
    "  $('unzoom').style.display = d > 0 ? '' : 'none';\n"
    "}\n"
    "function search(term) {\n"
    "  var re = null, hits = [], sum = 0, end = -1;\n"
    "  if (term) { try { re = new RegExp(term); } catch (e) { return; } }\n"
    "  frames.forEach(function (g) {\n"
    "    var hit = re !== null && num(g, 'd') > 0 && re.test(name(g));\n"
    "    g.classList.toggle('hit', hit);\n"
    "    if (hit) hits.push(g);\n"
    "  });\n"
    "  hits.sort(function (a, b) { return num(a, 'x') - num(b, 'x') || num(b, 'n') - num(a, 'n'); });\n"
    "  hits.forEach(function (g) {\n"
    "    var x = num(g, 'x'), e = x + num(g, 'n');\n"
    "    if (e > end) { sum += e - Math.max(x, end); end = e; }\n"
    "  });\n"
    "  $('matched').textContent = re ? 'Matched: ' + (100 * sum / TOTAL).toFixed(1) + '%' : '';\n"
    "  $('search').textContent = re ? 'Reset search' : 'Search';\n"
    "}\n"
    "function ask() {\n"
    "  if ($('matched').textContent) { search(''); return; }\n"
    "  var t = window.prompt('Search for (a regular expression):', '');\n"
    "  if (t) search(t);\n"
    "}\n"
    "frames.forEach(function (g) {\n"
    "  g.addEventListener('click', function () { zoom(g); });\n"
    "  g.addEventListener('mouseover', function () {\n"
    "    $('details').textContent = g.querySelector('title').textContent;\n"
    "  });\n"
    "  g.addEventListener('mouseout', function () { $('details').textContent = ' '; });\n"
    "});\n"
    "$('unzoom').addEventListener('click', function () { if (frames.length) zoom(frames[0]); });\n"
    "$('search').addEventListener('click', ask);\n"
    "window.addEventListener('keydown', function (e) {\n"
    "  if ((e.ctrlKey || e.metaKey) && e.key === 'f') { e.preventDefault(); ask(); }\n"
    "  else if (e.key === 'Escape') { search(''); }\n"
    "});\n"
    "var best = null;\n"
    "frames.forEach(function (g) {\n"
    "  if (num(g, 'd') > 0 && (!best || num(g, 'self') > num(best, 'self'))) best = g;\n"
    "});\n"
    "if (best) $('hot').textContent = 'Hottest: ' + name(best) + ' (' +\n"
    "  (100 * num(best, 'self') / TOTAL).toFixed(1) + '% of samples in the function itself)';\n"
    "var m = /^#s=(.+)$/.exec(window.location.hash);\n"
    "if (m) search(decodeURIComponent(m[1]));\n"
    "svg.setAttribute('data-ready', '1');\n"
    "})();\n";

static const char style[] =
    "text { font-family: Verdana, sans-serif; font-size: 12px; fill: #000; }\n"
    "g.f { cursor: pointer; }\n"
    "g.f:hover rect { stroke: #000; stroke-width: 0.5; }\n"
    "g.f text { pointer-events: none; }\n"
    "g.below rect { opacity: 0.5; }\n"
    "g.hit rect { fill: rgb(230, 0, 230); }\n"
    "#title { font-size: 17px; }\n"
    ".button { fill: #0645ad; cursor: pointer; }\n";

bool flame_svg_write(FILE *f, const folded_stack *stacks, size_t n, const char *title)
{
    node root = {.name = "all", .len = 3};
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++)
        ok = add_stack(&root, &stacks[i]);
    if (!ok) {
        free_tree(&root);
        return false;
    }
    int height = TOP + BOTTOM + depth_of(&root) * FRAME_H;
    layout l = {.f = f, .total = root.total ? root.total : 1, .height = height,
                .scale = (double)(WIDTH - 2 * PAD) / (double)(root.total ? root.total : 1)};
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
               "height=\"%d\" viewBox=\"0 0 %d %d\" data-total=\"%llu\">\n"
               "<style>\n%s</style>\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"#f8f4ec\"/>\n"
               "<text id=\"title\" x=\"%d\" y=\"24\" text-anchor=\"middle\">",
            WIDTH, height, WIDTH, height, (unsigned long long)root.total, style, WIDTH / 2);
    put_escaped(f, title, strlen(title));
    fprintf(f, "</text>\n"
               "<text id=\"hot\" x=\"%d\" y=\"44\" text-anchor=\"middle\">", WIDTH / 2);
    const node *hot = NULL;
    hottest(&root, l.scale, &hot);
    if (hot) {
        fputs("Hottest: ", f);
        put_escaped(f, hot->name, hot->len);
        fprintf(f, " (%.1f%% of samples in the function itself)",
                100.0 * (double)hot->self / (double)l.total);
    }
    fprintf(f, "</text>\n"
               "<text id=\"unzoom\" class=\"button\" x=\"%d\" y=\"24\" "
               "style=\"display:none\">Reset zoom</text>\n"
               "<text id=\"search\" class=\"button\" x=\"%d\" y=\"24\" "
               "text-anchor=\"end\">Search</text>\n"
               "<text id=\"matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"></text>\n"
               "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n",
            PAD, WIDTH - PAD, WIDTH - PAD, height - 12, PAD, height - 12);
    if (root.total)
        put_frame(&l, &root, 0, 0);
    else
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no samples: the guest ran "
                   "for less than one sampling period</text>\n", WIDTH / 2, height / 2);
    fprintf(f, "<script><![CDATA[\n%s]]></script>\n</svg>\n", script);
    free_tree(&root);
    return !ferror(f);
}
