/* Standalone SVG bar charts: a growing text buffer, XML escaping, and one
 * layout for horizontal bars. No fonts are measured: text widths are
 * estimated per character of a 12 px sans-serif face, which is close enough
 * to leave room for labels. */
#include "lathe/svg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text buffer ------------------------------------------------------------ */

typedef struct {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* A string literal, its length counted by the compiler. */
#define SB_LIT(b, lit) sb_put((b), (lit), sizeof(lit) - 1)

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        sb_put(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_put(b, big, (size_t)n);
    free(big);
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static int utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    int n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2 : 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0)))
        return 0;  /* overlong, or a UTF-16 surrogate */
    if (n == 4 && ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90)))
        return 0;
    return n;
}

/* Escaped text, at most max_chars characters (0 = all; longer text ends in "…"). */
static void sb_text(sbuf *b, const char *s, int max_chars)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    int chars = 0;
    while (*p) {
        if (max_chars && chars == max_chars - 1 && p[utf8_len(p) ? utf8_len(p) : 1]) {
            sb_put(b, "\xE2\x80\xA6", 3);
            return;
        }
        int n = utf8_len(p);
        switch (*p) {
        case '&': sb_put(b, "&amp;", 5); break;
        case '<': sb_put(b, "&lt;", 4); break;
        case '>': sb_put(b, "&gt;", 4); break;
        case '"': sb_put(b, "&quot;", 6); break;
        case '\'': sb_put(b, "&#39;", 5); break;
        default:
            if (n == 0)
                sb_put(b, "\xEF\xBF\xBD", 3);  /* U+FFFD */
            else if (*p < 0x20 || *p == 0x7F)
                sb_put(b, " ", 1);  /* not allowed in XML 1.0 */
            else
                sb_put(b, (const char *)p, (size_t)n);
        }
        p += n ? n : 1;
        chars++;
    }
}

char *lt_xml_escape(const char *s)
{
    sbuf b = {0};
    SB_LIT(&b, "");
    sb_text(&b, s, 0);
    if (b.oom) {
        free(b.s);
        lt_error(LT_ENOMEM, "out of memory");
        return NULL;
    }
    return b.s;
}

/* Characters (code points) of a UTF-8 string. */
static int text_chars(const char *s)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

/* ---- the bar chart ----------------------------------------------------------- */

#define FONT "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""
#define CHAR_W 7.0        /* estimated advance of one 12 px character */
#define MAX_LABEL 48      /* longer labels are cut with an ellipsis (full text in the tooltip) */
#define PLOT_W 440.0
#define COL_ONE "#4c78a8" /* unsigned bars */
#define COL_LOW "#b8b8b8" /* negative values of an unsigned quantity (no importance) */
#define COL_POS "#d9534f" /* signed: pushes the output up */
#define COL_NEG "#3d7ab8" /* signed: pushes it down */

typedef struct {
    int idx;
    double mag;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->mag != y->mag)
        return x->mag < y->mag ? 1 : -1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* 1, 2 or 5 times a power of ten, near span/target. */
static double nice_step(double span, int target)
{
    double raw = span / target, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
}

static void fmt_num(char *buf, size_t cap, double v, int digits)
{
    if (!isfinite(v))
        snprintf(buf, cap, "n/a");
    else if (v != 0 && (fabs(v) < 1e-4 || fabs(v) >= 1e6))
        snprintf(buf, cap, "%.*e", digits - 2 > 0 ? digits - 2 : 1, v);
    else
        snprintf(buf, cap, "%.*g", digits, v);
}

int lt_svg_bar_chart(const lt_bar_chart *c, char **svg)
{
    if (!svg)
        return lt_error(LT_EINVAL, "svg bar chart: output pointer is NULL");
    *svg = NULL;
    if (!c || c->n < 1 || !c->labels || !c->values)
        return lt_error(LT_EINVAL, "svg bar chart: needs at least one bar with a label and a value");
    ranked *rk = lt_malloc(sizeof(ranked) * (size_t)c->n);
    if (!rk)
        return LT_ENOMEM;
    for (int i = 0; i < c->n; i++)
        rk[i] = (ranked){i, isfinite(c->values[i]) ? fabs(c->values[i]) : -1};
    qsort(rk, (size_t)c->n, sizeof *rk, cmp_ranked);
    int n = c->top > 0 && c->top < c->n ? c->top : c->n;

    /* Value range, with the error bars, always including zero. */
    double lo = 0, hi = 0;
    int maxlab = 0;
    for (int r = 0; r < n; r++) {
        int i = rk[r].idx;
        double v = c->values[i], e = c->errors && isfinite(c->errors[i]) ? fabs(c->errors[i]) : 0;
        /* Error bars widen the range only away from zero: a small importance
         * with a larger std would otherwise open an empty negative half. */
        if (isfinite(v)) {
            lo = fmin(lo, v < 0 ? v - e : v);
            hi = fmax(hi, v > 0 ? v + e : v);
        }
        int lc = text_chars(c->labels[i] ? c->labels[i] : "");
        maxlab = lc > maxlab ? lc : maxlab;
    }
    if (hi - lo <= 0)
        hi = 1;
    /* Domain: the data plus room for the value text beyond the outermost
     * bars (~65 px of 440); ticks are the round numbers inside it. */
    double span = hi - lo, dlo = lo, dhi = hi;
    if (lo < 0)
        dlo -= span * 0.15;
    if (hi > 0)
        dhi += span * 0.15;
    double step = nice_step(dhi - dlo, 6);
    double tlo = ceil(dlo / step - 1e-9) * step, thi = floor(dhi / step + 1e-9) * step;

    if (maxlab > MAX_LABEL)
        maxlab = MAX_LABEL;
    double label_w = fmax(60, maxlab * CHAR_W + 14);
    double left = 16 + label_w, plot_w = PLOT_W;
    double width = c->width > 0 ? c->width : left + plot_w + 24;
    if (c->width > 0)
        plot_w = fmax(120, width - left - 24);
    double pitch = n <= 20 ? 24 : n <= 30 ? 20 : 17, bar_h = pitch * 0.7;
    double top = 20;
    if (c->title)
        top += 22;
    if (c->subtitle)
        top += 18;
    if (c->signed_colors)
        top += 20;
    top += 8;
    double plot_h = n * pitch, axis_y = top + plot_h;
    double height = axis_y + 26 + (c->axis_label ? 22 : 0) + 10;
#define XOF(v) (left + ((v) - dlo) / (dhi - dlo) * plot_w)

    sbuf b = {0};
    sb_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
                  "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" " FONT " font-size=\"12\">\n",
              width, height, width, height);
    sb_printf(&b, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n",
              width, height);
    double y = 20;
    if (c->title) {
        y += 8;
        sb_printf(&b, "<text x=\"16\" y=\"%.1f\" font-size=\"16\" font-weight=\"bold\" "
                      "fill=\"#222\">", y);
        sb_text(&b, c->title, 0);
        SB_LIT(&b, "</text>\n");
        y += 14;
    }
    if (c->subtitle) {
        y += 12;
        sb_printf(&b, "<text x=\"16\" y=\"%.1f\" fill=\"#666\">", y);
        sb_text(&b, c->subtitle, 0);
        SB_LIT(&b, "</text>\n");
        y += 6;
    }
    if (c->signed_colors) {
        y += 14;
        const char *pl = c->pos_legend ? c->pos_legend : "positive";
        const char *nl = c->neg_legend ? c->neg_legend : "negative";
        sb_printf(&b, "<rect x=\"16\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                      "<text x=\"34\" y=\"%.1f\" fill=\"#333\">", y - 10, COL_POS, y);
        sb_text(&b, pl, 0);
        double x2 = 34 + text_chars(pl) * CHAR_W + 24;
        sb_printf(&b, "</text>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" "
                      "fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" fill=\"#333\">",
                  x2, y - 10, COL_NEG, x2 + 18, y);
        sb_text(&b, nl, 0);
        SB_LIT(&b, "</text>\n");
    }

    /* Grid lines and tick labels. */
    SB_LIT(&b, "<g stroke=\"#e4e4e4\" stroke-width=\"1\">\n");
    int nticks = (int)llround((thi - tlo) / step);
    for (int k = 0; k <= nticks && k < 100; k++) {
        double v = tlo + k * step, x = XOF(v);
        sb_printf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, top - 4, x,
                  axis_y);
    }
    SB_LIT(&b, "</g>\n<g fill=\"#555\" text-anchor=\"middle\" font-size=\"11\">\n");
    for (int k = 0; k <= nticks && k < 100; k++) {
        double v = tlo + k * step;
        char num[32];
        fmt_num(num, sizeof num, fabs(v) < step * 1e-9 ? 0 : v, 4);
        sb_printf(&b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", XOF(v), axis_y + 16, num);
    }
    SB_LIT(&b, "</g>\n");
    sb_printf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>\n",
              XOF(dlo), axis_y, XOF(dhi), axis_y);
    if (c->axis_label) {
        sb_printf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#333\">",
                  left + plot_w / 2, axis_y + 38);
        sb_text(&b, c->axis_label, 0);
        SB_LIT(&b, "</text>\n");
    }

    /* Bars: label (right-aligned before the plot), bar from zero, error
     * bar, value beyond the bar's end. Each bar carries a tooltip with the
     * full label. */
    double x0 = XOF(0);
    for (int r = 0; r < n; r++) {
        int i = rk[r].idx;
        double v = c->values[i];
        double e = c->errors && isfinite(c->errors[i]) ? fabs(c->errors[i]) : 0;
        double cy = top + r * pitch + pitch / 2;
        const char *col = !isfinite(v) ? COL_LOW
                          : c->signed_colors ? (v >= 0 ? COL_POS : COL_NEG)
                          : v >= 0 ? COL_ONE : COL_LOW;
        SB_LIT(&b, "<g>\n<title>");
        sb_text(&b, c->labels[i], 0);
        char num[32], en[32];
        fmt_num(num, sizeof num, v, 4);
        sb_printf(&b, ": %s", num);
        if (e > 0) {
            fmt_num(en, sizeof en, e, 4);
            sb_printf(&b, " \xC2\xB1 %s", en);
        }
        SB_LIT(&b, "</title>\n");
        sb_printf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#222\">",
                  left - 8, cy + 4);
        sb_text(&b, c->labels[i], MAX_LABEL);
        SB_LIT(&b, "</text>\n");
        double xv = isfinite(v) ? XOF(v) : x0;
        double bx = fmin(x0, xv), bw = fabs(xv - x0);
        sb_printf(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
                  bx, cy - bar_h / 2, bw, bar_h, col);
        double xend = xv;
        if (e > 0 && isfinite(v)) {
            double xa = fmax(XOF(v - e), XOF(dlo)), xb = fmin(XOF(v + e), XOF(dhi));
            double cap = bar_h * 0.35;
            sb_printf(&b, "<path d=\"M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f %.1fV%.1f\" "
                          "stroke=\"#333\" stroke-width=\"1.2\" fill=\"none\"/>\n",
                      xa, cy, xb, xa, cy - cap, cy + cap, xb, cy - cap, cy + cap);
            xend = v >= 0 ? xb : xa;
        }
        int neg = isfinite(v) && v < 0;
        fmt_num(num, sizeof num, v, 3);
        sb_printf(&b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"#333\" "
                      "font-size=\"11\">%s</text>\n</g>\n",
                  neg ? xend - 4 : xend + 4, cy + 4, neg ? "end" : "start", num);
    }
    sb_printf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\" "
                  "stroke-width=\"1\"/>\n", x0, top - 4, x0, axis_y);
    SB_LIT(&b, "</svg>\n");
#undef XOF
    free(rk);
    if (b.oom) {
        free(b.s);
        return lt_error(LT_ENOMEM, "out of memory writing the SVG");
    }
    *svg = b.s;
    return LT_OK;
}

int lt_svg_bar_chart_write(const lt_bar_chart *c, const char *path)
{
    char *svg;
    int rc = lt_svg_bar_chart(c, &svg);
    if (rc)
        return rc;
    rc = lt_write_file_atomic(path, svg, strlen(svg));
    free(svg);
    return rc;
}
