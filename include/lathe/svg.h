/* lathe io: small standalone SVG charts (explanations, reports).
 *
 * A horizontal bar chart, bars sorted by magnitude (largest on top), with
 * labels, values, optional error bars and, for signed quantities such as
 * per-prediction contributions, one colour for positive and another for
 * negative bars. The output is a complete SVG 1.1 document (xmlns set, UTF-8,
 * text XML-escaped, invalid UTF-8 replaced) that browsers and image viewers
 * open directly.
 */
#ifndef LATHE_SVG_H
#define LATHE_SVG_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lt_bar_chart {
    const char *title;        /* first line, bold; may be NULL */
    const char *subtitle;     /* second line, grey; may be NULL */
    const char *axis_label;   /* under the value axis ("drop in roc_auc"); may be NULL */
    int n;                    /* bars, >= 1 */
    const char *const *labels;
    const double *values;     /* NaN is drawn as an empty bar marked "n/a" */
    const double *errors;     /* half-widths of error bars (e.g. std); may be NULL */
    int signed_colors;        /* 1: positive and negative bars in two colours with a legend */
    const char *pos_legend;   /* legend of positive bars (signed_colors), default "positive" */
    const char *neg_legend;   /* default "negative" */
    int top;                  /* draw only the `top` largest |value| (0 = all) */
    int width;                /* pixels; 0 = sized from the labels (about 700-900) */
} lt_bar_chart;

/* The chart as SVG text (malloc'd, caller frees). LT_EINVAL if n < 1 or an
 * array is NULL. */
int lt_svg_bar_chart(const lt_bar_chart *c, char **svg);
/* Same, written atomically to `path` (temp file, fsync, rename). */
int lt_svg_bar_chart_write(const lt_bar_chart *c, const char *path);

/* A copy of `s` XML-escaped (& < > " '), for writers of SVG/HTML: control
 * characters become spaces and invalid UTF-8 becomes U+FFFD. malloc'd
 * (caller frees); NULL on allocation failure. */
char *lt_xml_escape(const char *s);

#ifdef __cplusplus
}
#endif
#endif
