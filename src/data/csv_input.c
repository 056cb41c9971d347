/* Getting CSV bytes into memory: whole-file reads, big-buffer allocation,
 * and gzip (detected by its magic bytes, inflated whole). Every buffer
 * handed to the tokenizer is followed by CSV_PAD zero bytes. Truncated or
 * corrupt gzip streams are errors, never partial reads. */
#include "table_impl.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* malloc for the reader's big buffers (input, offsets, column arrays, level
 * slots): from 1 MiB up lt_malloc_big's huge pages (page faults were a third
 * of the parse time on a 3.5 MB file with 4 KiB pages); below, plain malloc,
 * which reuses freed heap pages sooner in a process that parses repeatedly
 * (a 0.5 MB file parsed in 0.9 ms that way, 1.6 ms in huge pages). Freed
 * with free(); realloc works on them. */
void *lt_csv_big_alloc(size_t n) { return n < ((size_t)1 << 20) ? malloc(n) : lt_malloc_big(n); }

/* Whole file into a buffer with CSV_PAD spare bytes: one read into a
 * buffer sized by fstat for regular files, lt_read_file for pipes. */
int lt_csv_slurp(const char *path, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        size_t size = (size_t)st.st_size, got = 0;
        char *b = lt_csv_big_alloc(size + CSV_PAD);
        if (!b) {
            close(fd);
            return lt_error(LT_ENOMEM, "%s: out of memory reading %zu bytes", path, size);
        }
        while (got < size) {
            ssize_t r = read(fd, b + got, size - got);
            if (r < 0) {
                close(fd);
                free(b);
                return lt_error(LT_EIO, "%s: read error", path);
            }
            if (r == 0)
                break; /* the file shrank; parse what is there */
            got += (size_t)r;
        }
        close(fd);
        *out = b;
        *len = got;
        return LT_OK;
    }
    if (fd >= 0)
        close(fd);
    return lt_read_file(path, 0, out, len);
}

/* Inflates a gzip stream (concatenated members allowed) into a new buffer
 * followed by CSV_PAD zero bytes. Bytes after the last member that do not
 * start another member are ignored, as gzip -d does. */
int lt_csv_gunzip(const unsigned char *in, size_t n, const char *name, char **out,
                  size_t *outlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK)
        return lt_error(LT_ENOMEM, "%s: cannot start gzip decoder", name);
    size_t cap = n < ((size_t)1 << 28) ? n * 4 + 4096 : n, len = 0, fed = 0;
    char *buf = lt_malloc(cap);
    int rc = buf ? LT_OK : LT_ENOMEM;
    while (rc == LT_OK) {
        if (zs.avail_in == 0 && fed < n) {
            size_t chunk = n - fed < (1u << 30) ? n - fed : (1u << 30);
            zs.next_in = (unsigned char *)in + fed;
            zs.avail_in = (unsigned)chunk;
            fed += chunk;
        }
        if (cap - len < CSV_PAD + 1) {
            char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                rc = lt_error(LT_ENOMEM, "%s: out of memory decompressing", name);
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t room = cap - len - CSV_PAD;
        if (room > (1u << 30))
            room = 1u << 30;
        zs.next_out = (unsigned char *)buf + len;
        zs.avail_out = (unsigned)room;
        int z = inflate(&zs, Z_NO_FLUSH);
        len += room - zs.avail_out;
        if (z == Z_STREAM_END) {
            /* Another member follows only if its magic does. */
            if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
                inflateReset(&zs);
                continue;
            }
            break;
        }
        if (z == Z_BUF_ERROR && zs.avail_in == 0 && fed == n)
            rc = lt_error(LT_EFORMAT, "%s: truncated gzip data (expected more compressed bytes)",
                          name);
        else if (z != Z_OK && z != Z_BUF_ERROR)
            rc = lt_error(LT_EFORMAT, "%s: corrupt gzip data: %s", name,
                          zs.msg ? zs.msg : "inflate failed");
    }
    inflateEnd(&zs);
    if (rc != LT_OK) {
        free(buf);
        return rc;
    }
    memset(buf + len, 0, CSV_PAD);
    *out = buf;
    *outlen = len;
    return LT_OK;
}

int lt_csv_is_gzip(const char *b, size_t n)
{
    return n >= 2 && (unsigned char)b[0] == 0x1f && (unsigned char)b[1] == 0x8b;
}

