/* Derived columns: "NAME = EXPRESSION" parsed by recursive descent into an
 * RPN program (derive_impl.h), and the program back to canonical text.
 * Evaluation: derive_eval.c. Grammar and semantics: include/lathe/derive.h. */
#include "lathe/derive.h"

#include "derive_impl.h"
#include "table_impl.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Functions: name, arity, op. */
static const struct { const char *name; int arity, op; } funcs[] = {
    {"abs", 1, OP_ABS}, {"sqrt", 1, OP_SQRT}, {"log", 1, OP_LOG}, {"exp", 1, OP_EXP},
    {"min", 2, OP_MIN}, {"max", 2, OP_MAX},   {"where", 3, OP_WHERE},
};
#define NFUNCS ((int)(sizeof funcs / sizeof funcs[0]))

/* Binary operators: op, text, precedence (1 compare, 2 add, 3 multiply, 5 power). */
static const struct { int op; const char *text; int prec; } binops[] = {
    {OP_ADD, "+", 2},  {OP_SUB, "-", 2},  {OP_MUL, "*", 3},  {OP_DIV, "/", 3},
    {OP_POW, "^", 5},  {OP_LT, "<", 1},   {OP_LE, "<=", 1},  {OP_GT, ">", 1},
    {OP_GE, ">=", 1},  {OP_EQ, "==", 1},  {OP_NE, "!=", 1},
};
#define NBINOPS ((int)(sizeof binops / sizeof binops[0]))
#define PREC_UNARY 4
#define PREC_ATOM 6
#define MAX_NESTING 200

void lt_derive_free(lt_derive *d)
{
    if (!d)
        return;
    free(d->src);
    free(d->name);
    free(d->text);
    for (int i = 0; i < d->nrefs; i++)
        free(d->refs[i]);
    free(d->refs);
    free(d->prog);
    free(d);
}

void lt_derive_list_free(lt_derive **d, int n)
{
    if (!d)
        return;
    for (int i = 0; i < n; i++)
        lt_derive_free(d[i]);
    free(d);
}

const char *lt_derive_name(const lt_derive *d) { return d->name; }
const char *lt_derive_text(const lt_derive *d) { return d->text; }
int lt_derive_nrefs(const lt_derive *d) { return d->nrefs; }
const char *lt_derive_ref(const lt_derive *d, int i)
{
    return i >= 0 && i < d->nrefs ? d->refs[i] : NULL;
}

/* ---- lexer ------------------------------------------------------------------ */

enum { T_END, T_NUM, T_NAME, T_QNAME, T_OP, T_ASSIGN, T_LP, T_RP, T_COMMA };

typedef struct tok {
    int kind;
    size_t at, end;  /* byte offsets in the source */
    int op;          /* T_OP */
    double v;        /* T_NUM */
    char *name;      /* T_NAME, T_QNAME: malloc'd */
} tok;

typedef struct parser {
    const char *s;   /* trimmed definition */
    tok t;           /* current token */
    lt_derive *d;
    int nest;
    int rc;          /* first error */
} parser;

/* 1-based character (not byte) position of byte offset `off`. */
static int char_pos(const char *s, size_t off)
{
    int n = 1;
    for (size_t i = 0; i < off && s[i]; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static int perr(parser *p, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(parser *p, size_t off, const char *fmt, ...)
{
    if (p->rc)
        return p->rc;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* A very long definition is quoted by its start, so the message fits. */
    size_t len = strlen(p->s), show = len;
    if (len > 100)
        for (show = 80; show && ((unsigned char)p->s[show] & 0xC0) == 0x80; show--) {}
    p->rc = lt_error(LT_EINVAL, "'%.*s%s': %d: %s", (int)show, p->s, show < len ? "..." : "",
                     char_pos(p->s, off), msg);
    return p->rc;
}

static int is_ident_start(int c) { return isalpha(c) || c == '_'; }
static int is_ident_char(int c) { return isalnum(c) || c == '_'; }

/* Reads the token at byte offset `pos` into p->t (freeing the previous one). */
static void lex_at(parser *p, size_t pos)
{
    free(p->t.name);
    memset(&p->t, 0, sizeof p->t);
    const char *s = p->s;
    while (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r')
        pos++;
    tok *t = &p->t;
    t->at = pos;
    unsigned char c = (unsigned char)s[pos];
    if (!c) {
        t->kind = T_END;
        t->end = pos;
        return;
    }
    if (isdigit(c) || (c == '.' && isdigit((unsigned char)s[pos + 1]))) {
        size_t e = pos;
        while (isdigit((unsigned char)s[e]))
            e++;
        if (s[e] == '.')
            for (e++; isdigit((unsigned char)s[e]); e++) {}
        if (s[e] == 'e' || s[e] == 'E') {
            size_t x = e + 1;
            if (s[x] == '+' || s[x] == '-')
                x++;
            if (!isdigit((unsigned char)s[x])) {
                perr(p, x, "expected the digits of an exponent");
                t->kind = T_END;
                return;
            }
            while (isdigit((unsigned char)s[x]))
                x++;
            e = x;
        }
        char buf[128];
        size_t len = e - pos < sizeof buf - 1 ? e - pos : sizeof buf - 1;
        memcpy(buf, s + pos, len);
        buf[len] = '\0';
        t->v = strtod(buf, NULL);
        if (!isfinite(t->v) || e - pos >= sizeof buf - 1) {
            perr(p, pos, "number '%.*s' is out of range", (int)(e - pos), s + pos);
            t->kind = T_END;
            return;
        }
        t->kind = T_NUM;
        t->end = e;
        return;
    }
    if (is_ident_start(c)) {
        size_t e = pos;
        while (is_ident_char((unsigned char)s[e]))
            e++;
        t->kind = T_NAME;
        t->end = e;
        t->name = strndup(s + pos, e - pos);
        if (!t->name) {
            p->rc = p->rc ? p->rc : lt_error(LT_ENOMEM, "out of memory");
            t->kind = T_END;
        }
        return;
    }
    if (c == '`') {
        /* `name`, with `` standing for one backtick */
        size_t e = pos + 1, n = 0;
        char *name = malloc(strlen(s + pos) + 1);
        if (!name) {
            p->rc = p->rc ? p->rc : lt_error(LT_ENOMEM, "out of memory");
            t->kind = T_END;
            return;
        }
        for (;;) {
            if (!s[e]) {
                free(name);
                perr(p, pos, "unterminated `name`: expected a closing backtick");
                t->kind = T_END;
                return;
            }
            if (s[e] == '`') {
                if (s[e + 1] != '`')
                    break;
                e++;
            }
            name[n++] = s[e++];
        }
        name[n] = '\0';
        if (!n) {
            free(name);
            perr(p, pos, "empty column name ``");
            t->kind = T_END;
            return;
        }
        t->kind = T_QNAME;
        t->end = e + 1;
        t->name = name;
        return;
    }
    t->end = pos + 1;
    char c1 = s[pos + 1];
    switch (c) {
    case '(': t->kind = T_LP; return;
    case ')': t->kind = T_RP; return;
    case ',': t->kind = T_COMMA; return;
    case '+': t->kind = T_OP; t->op = OP_ADD; return;
    case '-': t->kind = T_OP; t->op = OP_SUB; return;
    case '*': t->kind = T_OP; t->op = OP_MUL; return;
    case '/': t->kind = T_OP; t->op = OP_DIV; return;
    case '^': t->kind = T_OP; t->op = OP_POW; return;
    case '<':
        t->kind = T_OP;
        t->op = c1 == '=' ? OP_LE : OP_LT;
        t->end += c1 == '=';
        return;
    case '>':
        t->kind = T_OP;
        t->op = c1 == '=' ? OP_GE : OP_GT;
        t->end += c1 == '=';
        return;
    case '=':
        if (c1 == '=') {
            t->kind = T_OP;
            t->op = OP_EQ;
            t->end++;
        } else {
            t->kind = T_ASSIGN;
        }
        return;
    case '!':
        if (c1 == '=') {
            t->kind = T_OP;
            t->op = OP_NE;
            t->end++;
            return;
        }
        break;
    default:
        break;
    }
    if (c < 0x80 && isprint(c))
        perr(p, pos, "unexpected character '%c'", c);
    else
        perr(p, pos, "unexpected character (column names with such characters go in backticks)");
    t->kind = T_END;
}

static void advance(parser *p) { lex_at(p, p->t.end); }

/* ---- parser: emits RPN -------------------------------------------------------- */

static void emit(parser *p, int op, int arg, double v)
{
    lt_derive *d = p->d;
    if (p->rc)
        return;
    if (d->nprog == d->cap) {
        int cap = d->cap ? 2 * d->cap : 16;
        dop *np = realloc(d->prog, sizeof(dop) * (size_t)cap);
        if (!np) {
            p->rc = lt_error(LT_ENOMEM, "out of memory");
            return;
        }
        d->prog = np;
        d->cap = cap;
    }
    d->prog[d->nprog++] = (dop){op, arg, v};
}

static int ref_index(parser *p, const char *name)
{
    lt_derive *d = p->d;
    for (int i = 0; i < d->nrefs; i++)
        if (!strcmp(d->refs[i], name))
            return i;
    char **nr = realloc(d->refs, sizeof(char *) * (size_t)(d->nrefs + 1));
    char *copy = strdup(name);
    if (nr)
        d->refs = nr;
    if (!nr || !copy) {
        free(copy);
        p->rc = p->rc ? p->rc : lt_error(LT_ENOMEM, "out of memory");
        return 0;
    }
    d->refs[d->nrefs] = copy;
    return d->nrefs++;
}

static const char *what_is(const tok *t)
{
    switch (t->kind) {
    case T_END: return "the end";
    case T_RP: return "')'";
    case T_COMMA: return "','";
    case T_ASSIGN: return "'='";
    case T_OP: return "an operator";
    default: return "a value";
    }
}

static void parse_compare(parser *p);

static void parse_unary(parser *p);

/* atom := number | pi | e | name | `name` | func '(' args ')' | '(' compare ')' */
static void parse_atom(parser *p)
{
    tok *t = &p->t;
    if (p->rc)
        return;
    if (t->kind == T_NUM) {
        emit(p, OP_NUM, 0, t->v);
        advance(p);
        return;
    }
    if (t->kind == T_QNAME) {
        emit(p, OP_COL, ref_index(p, t->name), 0);
        advance(p);
        return;
    }
    if (t->kind == T_NAME) {
        size_t at = t->at;
        char name[64];
        snprintf(name, sizeof name, "%s", t->name);
        int is_call = 0;
        {
            size_t e = t->end;
            while (p->s[e] == ' ' || p->s[e] == '\t')
                e++;
            is_call = p->s[e] == '(';
        }
        if (is_call) {
            int f = 0;
            while (f < NFUNCS && strcmp(funcs[f].name, t->name))
                f++;
            if (f == NFUNCS) {
                perr(p, at, "unknown function '%s' (functions: abs, sqrt, log, exp, min, max, "
                     "where)", name);
                return;
            }
            advance(p); /* name */
            advance(p); /* ( */
            for (int k = 0; k < funcs[f].arity && !p->rc; k++) {
                if (k) {
                    if (t->kind != T_COMMA) {
                        perr(p, t->at, "expected ',': %s() takes %d arguments", funcs[f].name,
                             funcs[f].arity);
                        return;
                    }
                    advance(p);
                }
                parse_compare(p);
            }
            if (p->rc)
                return;
            if (t->kind == T_COMMA) {
                perr(p, t->at, "expected ')': %s() takes %d argument%s", funcs[f].name,
                     funcs[f].arity, funcs[f].arity > 1 ? "s" : "");
                return;
            }
            if (t->kind != T_RP) {
                perr(p, t->at, "expected ')'");
                return;
            }
            advance(p);
            emit(p, funcs[f].op, 0, 0);
            return;
        }
        if (!strcmp(t->name, "pi"))
            emit(p, OP_PI, 0, 0);
        else if (!strcmp(t->name, "e"))
            emit(p, OP_E, 0, 0);
        else
            emit(p, OP_COL, ref_index(p, t->name), 0);
        advance(p);
        return;
    }
    if (t->kind == T_LP) {
        advance(p);
        parse_compare(p);
        if (p->rc)
            return;
        if (t->kind != T_RP) {
            perr(p, t->at, "expected ')'");
            return;
        }
        advance(p);
        return;
    }
    perr(p, t->at, "expected a number, a column, a function or '(', got %s", what_is(t));
}

/* power := atom ['^' unary]   (right-associative through unary: 2^-1, 2^3^2) */
static void parse_power(parser *p)
{
    parse_atom(p);
    if (!p->rc && p->t.kind == T_OP && p->t.op == OP_POW) {
        advance(p);
        parse_unary(p);
        emit(p, OP_POW, 0, 0);
    }
}

/* unary := ('-' | '+') unary | power */
static void parse_unary(parser *p)
{
    if (p->rc)
        return;
    if (p->t.kind == T_OP && (p->t.op == OP_SUB || p->t.op == OP_ADD)) {
        int neg = p->t.op == OP_SUB;
        size_t at = p->t.at;
        if (++p->nest > MAX_NESTING) {
            perr(p, at, "expression nested too deeply");
            return;
        }
        advance(p);
        parse_unary(p);
        p->nest--;
        if (neg)
            emit(p, OP_NEG, 0, 0);
        return;
    }
    parse_power(p);
}

/* term := unary {('*' | '/') unary} */
static void parse_term(parser *p)
{
    parse_unary(p);
    while (!p->rc && p->t.kind == T_OP && (p->t.op == OP_MUL || p->t.op == OP_DIV)) {
        int op = p->t.op;
        advance(p);
        parse_unary(p);
        emit(p, op, 0, 0);
    }
}

/* sum := term {('+' | '-') term} */
static void parse_sum(parser *p)
{
    parse_term(p);
    while (!p->rc && p->t.kind == T_OP && (p->t.op == OP_ADD || p->t.op == OP_SUB)) {
        int op = p->t.op;
        advance(p);
        parse_term(p);
        emit(p, op, 0, 0);
    }
}

static int is_compare(int op) { return op >= OP_LT && op <= OP_NE; }

/* compare := sum [cmpop sum]   (no chaining) */
static void parse_compare(parser *p)
{
    if (p->rc)
        return;
    if (++p->nest > MAX_NESTING) {
        perr(p, p->t.at, "expression nested too deeply");
        return;
    }
    parse_sum(p);
    if (!p->rc && p->t.kind == T_OP && is_compare(p->t.op)) {
        int op = p->t.op;
        advance(p);
        parse_sum(p);
        emit(p, op, 0, 0);
        if (!p->rc && p->t.kind == T_OP && is_compare(p->t.op))
            perr(p, p->t.at, "comparisons do not chain: add parentheses, e.g. (a < b) == 1");
    }
    p->nest--;
}

/* ---- canonical text ---------------------------------------------------------- */

static int is_reserved(const char *s)
{
    if (!strcmp(s, "pi") || !strcmp(s, "e"))
        return 1;
    for (int f = 0; f < NFUNCS; f++)
        if (!strcmp(s, funcs[f].name))
            return 1;
    return 0;
}

/* A column name as it must be written: bare when it is a plain identifier
 * that is not a constant or function name, else in backticks. malloc'd. */
static char *quote_name(const char *s)
{
    int bare = is_ident_start((unsigned char)s[0]) && !is_reserved(s);
    for (const char *c = s; bare && *c; c++)
        bare = is_ident_char((unsigned char)*c);
    if (bare)
        return strdup(s);
    size_t n = 3;
    for (const char *c = s; *c; c++)
        n += 1 + (*c == '`');
    char *q = malloc(n), *w = q;
    if (!q)
        return NULL;
    *w++ = '`';
    for (const char *c = s; *c; c++) {
        if (*c == '`')
            *w++ = '`';
        *w++ = *c;
    }
    *w++ = '`';
    *w = '\0';
    return q;
}

typedef struct item {
    char *s;
    int prec;
} item;

/* "(s)" when wrap, else s; frees s. */
static char *wrap(char *s, int paren)
{
    if (!s || !paren)
        return s;
    size_t n = strlen(s);
    char *w = malloc(n + 3);
    if (w) {
        w[0] = '(';
        memcpy(w + 1, s, n);
        w[n + 1] = ')';
        w[n + 2] = '\0';
    }
    free(s);
    return w;
}

static char *join(const char *a, const char *sep, const char *b, const char *c)
{
    if (!a || !b)
        return NULL;
    size_t n = strlen(a) + strlen(sep) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s%s", a, sep, b, c);
    return s;
}

/* Expression text from the RPN program, with only the parentheses the
 * grammar needs. */
static char *program_text(const lt_derive *d)
{
    item *st = calloc((size_t)d->nprog + 1, sizeof(item));
    int sp = 0, ok = st != NULL;
    for (int i = 0; ok && i < d->nprog; i++) {
        const dop *o = &d->prog[i];
        char buf[64];
        item r = {NULL, PREC_ATOM};
        switch (o->op) {
        case OP_NUM:
            lt_fmt_double(o->v, buf, sizeof buf);
            r.s = strdup(buf);
            break;
        case OP_PI: r.s = strdup("pi"); break;
        case OP_E: r.s = strdup("e"); break;
        case OP_COL: r.s = quote_name(d->refs[o->arg]); break;
        case OP_NEG: {
            item a = st[--sp];
            a.s = wrap(a.s, a.prec < PREC_UNARY);
            r.s = join("-", "", a.s ? a.s : NULL, "");
            r.prec = PREC_UNARY;
            free(a.s);
            break;
        }
        case OP_ABS: case OP_SQRT: case OP_LOG: case OP_EXP:
        case OP_MIN: case OP_MAX: case OP_WHERE: {
            int f = 0;
            while (funcs[f].op != o->op)
                f++;
            int k = funcs[f].arity;
            sp -= k;
            char *args = strdup("");
            for (int j = 0; j < k; j++) {
                char *na = join(args ? args : NULL, j ? ", " : "", st[sp + j].s, "");
                free(args);
                free(st[sp + j].s);
                args = na;
            }
            char head[16];
            snprintf(head, sizeof head, "%s(", funcs[f].name);
            r.s = join(head, "", args, ")");
            free(args);
            break;
        }
        default: {
            int b = 0;
            while (binops[b].op != o->op)
                b++;
            int prec = binops[b].prec;
            item bb = st[--sp], aa = st[--sp];
            if (prec == 5) {          /* right-assoc power: base is an atom, exponent a unary */
                aa.s = wrap(aa.s, aa.prec < PREC_ATOM);
                bb.s = wrap(bb.s, bb.prec < PREC_UNARY);
            } else if (prec == 1) {   /* compare: no chaining on either side */
                aa.s = wrap(aa.s, aa.prec <= 1);
                bb.s = wrap(bb.s, bb.prec <= 1);
            } else {                  /* left-assoc */
                aa.s = wrap(aa.s, aa.prec < prec);
                bb.s = wrap(bb.s, bb.prec <= prec);
            }
            char sep[8];
            snprintf(sep, sizeof sep, " %s ", binops[b].text);
            r.s = join(aa.s, sep, bb.s, "");
            r.prec = prec;
            free(aa.s);
            free(bb.s);
            break;
        }
        }
        ok = r.s != NULL;
        st[sp++] = r;
    }
    char *out = ok && sp == 1 ? st[0].s : NULL;
    for (int i = 0; i < sp; i++)
        if (st[i].s != out)
            free(st[i].s);
    free(st);
    return out;
}

/* Stack slots the program needs; 0 if it is malformed. */
static int program_depth(const lt_derive *d)
{
    int sp = 0, mx = 0;
    for (int i = 0; i < d->nprog; i++) {
        int op = d->prog[i].op;
        if (op <= OP_COL)
            sp++;
        else if (op == OP_NEG || (op >= OP_ABS && op <= OP_EXP))
            sp += 0;
        else if (op == OP_WHERE)
            sp -= 2;
        else
            sp -= 1;
        if (sp < 1)
            return 0;
        mx = sp > mx ? sp : mx;
    }
    return sp == 1 ? mx : 0;
}

/* ---- parse -------------------------------------------------------------------- */

int lt_derive_parse(const char *def, lt_derive **out)
{
    *out = NULL;
    if (!def)
        return lt_error(LT_EINVAL, "derived column: definition is NULL");
    while (*def == ' ' || *def == '\t' || *def == '\n' || *def == '\r')
        def++;
    size_t len = strlen(def);
    while (len && (def[len - 1] == ' ' || def[len - 1] == '\t' || def[len - 1] == '\n' ||
                   def[len - 1] == '\r'))
        len--;
    lt_derive *d = lt_calloc(1, sizeof *d);
    if (!d)
        return LT_ENOMEM;
    if (!(d->src = strndup(def, len))) {
        free(d);
        return lt_error(LT_ENOMEM, "out of memory");
    }
    parser p = {0};
    p.s = d->src;
    p.d = d;
    lex_at(&p, 0);
    if (!p.rc && p.t.kind != T_NAME && p.t.kind != T_QNAME)
        perr(&p, p.t.at, "expected the new column's name (NAME = EXPRESSION)");
    if (!p.rc) {
        d->name = p.t.name;
        p.t.name = NULL;
        advance(&p);
    }
    if (!p.rc && p.t.kind != T_ASSIGN)
        perr(&p, p.t.at, "expected '=' after the name (NAME = EXPRESSION)");
    if (!p.rc) {
        advance(&p);
        parse_compare(&p);
    }
    if (!p.rc && p.t.kind != T_END)
        perr(&p, p.t.at, p.t.kind == T_ASSIGN ? "expected an operator or the end (use == to "
                                                "compare)"
                                              : p.t.kind == T_RP ? "unmatched ')'"
                                                                 : "expected an operator or the end");
    free(p.t.name);
    if (!p.rc && !(d->depth = program_depth(d)))
        p.rc = lt_error(LT_EINVAL, "'%s': internal error compiling the expression", d->src);
    if (!p.rc) {
        char *name = quote_name(d->name), *expr = program_text(d);
        d->text = join(name, " = ", expr, "");
        free(name);
        free(expr);
        if (!d->text)
            p.rc = lt_error(LT_ENOMEM, "out of memory");
    }
    if (p.rc) {
        lt_derive_free(d);
        return p.rc;
    }
    *out = d;
    return LT_OK;
}

int lt_derive_parse_list(const char *const *texts, int n, lt_derive ***out, int *nout)
{
    *out = NULL;
    *nout = 0;
    int cap = 0;
    for (int i = 0; i < n; i++)
        for (const char *c = texts[i]; c && *c; c++)
            cap += *c == ';';
    cap += n + 1;
    lt_derive **list = lt_calloc((size_t)cap, sizeof *list);
    if (!list)
        return LT_ENOMEM;
    int m = 0, rc = LT_OK;
    for (int i = 0; i < n && !rc; i++) {
        const char *s = texts[i];
        if (!s)
            continue;
        while (!rc) {
            /* the next ';' outside backticks */
            const char *e = s;
            int quoted = 0;
            for (; *e && (quoted || *e != ';'); e++)
                if (*e == '`')
                    quoted = !quoted;
            char *piece = strndup(s, (size_t)(e - s));
            if (!piece) {
                rc = lt_error(LT_ENOMEM, "out of memory");
                break;
            }
            int blank = 1;
            for (const char *c = piece; *c; c++)
                blank &= isspace((unsigned char)*c) != 0;
            if (!blank && !(rc = lt_derive_parse(piece, &list[m]))) {
                for (int k = 0; k < m && !rc; k++)
                    if (!strcmp(list[k]->name, list[m]->name))
                        rc = lt_error(LT_EINVAL, "'%s': column '%s' is defined twice",
                                      list[m]->src, list[m]->name);
                m++;
            }
            free(piece);
            if (!*e)
                break;
            s = e + 1;
        }
    }
    if (rc) {
        lt_derive_list_free(list, m);
        return rc;
    }
    *out = list;
    *nout = m;
    return LT_OK;
}
