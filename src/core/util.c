/* Allocation with messages, whole-file reads, atomic writes. */
#include "lathe/core.h"

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void *lt_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        lt_error(LT_ENOMEM, "out of memory allocating %zu bytes", n);
    return p;
}

void *lt_malloc_big(size_t n)
{
    const size_t huge = (size_t)2 << 20;
    if (n < LT_BIG_BYTES || n > SIZE_MAX - huge)
        return lt_malloc(n);
    size_t size = (n + huge - 1) & ~(huge - 1);
    void *p = NULL;
    if (posix_memalign(&p, huge, size) != 0) {
        lt_error(LT_ENOMEM, "out of memory allocating %zu bytes", n);
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    madvise(p, size, MADV_HUGEPAGE);
#endif
    return p;
}

void *lt_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        lt_error(LT_ENOMEM, "out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

void lt_keep_freed_pages(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

char *lt_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = lt_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

int lt_read_file(const char *path, size_t max_bytes, char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return lt_error(LT_EIO, "%s: is a directory, not a file", path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return lt_error(LT_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    if (!b) {
        fclose(f);
        return lt_error(LT_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (max_bytes && cap >= max_bytes + 1)
                break;
            cap *= 2;
            char *nb = realloc(b, cap);
            if (!nb) {
                free(b);
                fclose(f);
                return lt_error(LT_ENOMEM, "%s: out of memory", path);
            }
            b = nb;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(b);
        return lt_error(LT_EIO, "%s: read error", path);
    }
    if (max_bytes && n > max_bytes) {
        free(b);
        return lt_error(LT_ELIMIT, "%s: larger than the %zu-byte limit", path, max_bytes);
    }
    /* Keep one spare byte so text parsers can rely on a terminating NUL. */
    if (n == cap) {
        char *nb = realloc(b, cap + 1);
        if (!nb) {
            free(b);
            return lt_error(LT_ENOMEM, "%s: out of memory", path);
        }
        b = nb;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return LT_OK;
}

int lt_write_file_atomic(const char *path, const void *buf, size_t len)
{
    size_t plen = strlen(path);
    char *tmp = lt_malloc(plen + 16);
    if (!tmp)
        return LT_ENOMEM;
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return lt_error(LT_EIO, "%s: cannot create temporary file: %s", path, strerror(e));
    }
    const char *p = buf;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            free(tmp);
            return lt_error(LT_EIO, "%s: write failed: %s", path, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    fchmod(fd, 0644);
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return lt_error(LT_EIO, "%s: fsync/close failed: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return lt_error(LT_EIO, "%s: rename failed: %s", path, strerror(e));
    }
    free(tmp);
    return LT_OK;
}
