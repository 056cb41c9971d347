/* Private to src/data: the compiled form of a derived column definition,
 * shared by the parser (derive.c) and the evaluator (derive_eval.c). */
#ifndef LATHE_DATA_DERIVE_IMPL_H
#define LATHE_DATA_DERIVE_IMPL_H

#include "lathe/derive.h"

/* Program ops. Pushes (OP_NUM..OP_COL) come first; then unary ops that
 * replace the top (OP_NEG, OP_ABS..OP_EXP), binary ops that pop one, and
 * OP_WHERE that pops two. */
enum {
    OP_NUM, OP_PI, OP_E, OP_COL, OP_NEG,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW,
    OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE,
    OP_ABS, OP_SQRT, OP_LOG, OP_EXP, OP_MIN, OP_MAX, OP_WHERE,
};

typedef struct dop {
    int op;
    int arg;     /* OP_COL: index into refs */
    double v;    /* OP_NUM */
} dop;

struct lt_derive {
    char *src;     /* the definition as given (trimmed), for messages */
    char *name;
    char *text;    /* canonical */
    char **refs;
    int nrefs;
    dop *prog;
    int nprog, cap;
    int depth;     /* stack slots the program needs */
};

#endif
