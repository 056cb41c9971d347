/* lathe data: derived feature columns, "NAME = EXPRESSION".
 *
 * A definition names a new numeric column computed row by row from numeric
 * columns of a table (power = torque x angular speed). The expression
 * language (docs/cli.md, "Derived columns"):
 *
 *   numbers      12, 0.5, .5, 1e-3 (C float syntax)
 *   columns      a bare name (letters, digits, _, not starting with a digit)
 *                or any name in backticks: `Torque [Nm]` (`` inside = `)
 *   constants    pi, e (a column named pi or e needs backticks)
 *   operators    by increasing precedence:
 *                  < <= > >= == !=   1 or 0; they do not chain (a < b < c
 *                                    is an error: add parentheses)
 *                  + -               left-associative
 *                  * /               left-associative
 *                  unary - +
 *                  ^                 power, right-associative; binds tighter
 *                                    than unary minus: 2^3^2 = 512,
 *                                    -2^2 = -4, 2^-1 = 0.5 (as in Python's **)
 *   functions    abs(x) sqrt(x) log(x) exp(x) min(a,b) max(a,b)
 *                where(cond, a, b) = a if cond is non-zero, else b
 *
 * Evaluation is in double. A missing input (NaN) makes the result missing,
 * comparisons and min/max/where included (a NaN condition gives NaN). Any
 * operation whose result is not a finite number gives NaN: x/0, log(0),
 * log(-1), sqrt(-1), overflow. Only numeric columns can be referenced.
 *
 * A definition parses once into a compiled form (an RPN program); its
 * canonical text (lt_derive_text) parses back to the same program.
 */
#ifndef LATHE_DERIVE_H
#define LATHE_DERIVE_H

#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lt_derive lt_derive;

/* Parse one definition "NAME = EXPRESSION" (surrounding spaces ignored;
 * NAME bare or in backticks). On a syntax error returns LT_EINVAL with
 * "'DEF': POS: expected ..." where POS is the 1-based character position in
 * DEF. *out is a new definition (lt_derive_free), NULL on error. */
int lt_derive_parse(const char *def, lt_derive **out);
void lt_derive_free(lt_derive *d);  /* NULL-safe */

/* Parse `n` texts, each holding one or more definitions separated by ';'
 * (a ';' inside backticks is part of a name; empty pieces are skipped),
 * into a new array *out of *nout definitions in order (lt_derive_list_free).
 * Two definitions with the same name are an LT_EINVAL error. */
int lt_derive_parse_list(const char *const *texts, int n, lt_derive ***out, int *nout);
void lt_derive_list_free(lt_derive **d, int n);  /* NULL-safe */

/* Name of the column the definition makes (owned by d). */
const char *lt_derive_name(const lt_derive *d);
/* Canonical text "name = expression" (owned by d): names quoted only when
 * needed, minimal parentheses, numbers in shortest round-trip form. */
const char *lt_derive_text(const lt_derive *d);
/* Distinct columns the expression reads, in order of first use (owned by d). */
int lt_derive_nrefs(const lt_derive *d);
const char *lt_derive_ref(const lt_derive *d, int i);

/* Check definitions d[0..n) against the columns of t before any work: a
 * name already in t (LT_EINVAL), a referenced column that is neither in t
 * nor an earlier definition (LT_ENOTFOUND) or that is categorical
 * (LT_ETYPE). Messages quote the definition and name the column. */
int lt_derive_check(const lt_derive *const *d, int n, const lt_table *t);

/* Values of the definition for every row of t into out (lt_table_nrows(t)
 * values). Every referenced column must be a numeric column of t. */
int lt_derive_eval(const lt_derive *d, const lt_table *t, double *out);

/* Append the columns d[0..n) to t in order (each may use the ones before);
 * runs lt_derive_check first. On error t may hold some of the new columns. */
int lt_derive_apply(const lt_derive *const *d, int n, lt_table *t);

#ifdef __cplusplus
}
#endif
#endif
