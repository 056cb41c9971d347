#!/usr/bin/env bash
# `make install` layout and lathe.pc: install the build into a temporary
# prefix, compile a small program against it with pkg-config, run it.
source "$(dirname "$0")/lib.bash"
BUILD=$(dirname "$LATHE")
expect_exit 0 "cmake --install into a temporary prefix" -- cmake --install "$BUILD" --prefix "$T/prefix"
for f in bin/lathe include/lathe/lathe.h lib/liblathe.a lib/liblathe.so lib/pkgconfig/lathe.pc; do
  [ -e "$T/prefix/$f" ] && ok "installed $f" || not_ok "installed $f"
done
[ -L "$T/prefix/lib/liblathe.so.0" ] && ok "versioned soname link" || not_ok "versioned soname link"
cat > "$T/ex.c" <<'C'
#include <lathe/lathe.h>
#include <stdio.h>
int main(void)
{
    lt_table *t = lt_table_new();
    double v[3] = {1, 2, 3};
    if (lt_table_add_num(t, "x", v, 3) != LT_OK) return 1;
    printf("lathe %s rows %lld\n", LATHE_VERSION, (long long)lt_table_nrows(t));
    lt_table_free(t);
    return 0;
}
C
export PKG_CONFIG_PATH="$T/prefix/lib/pkgconfig"
expect_exit 0 "compile against the installed library with pkg-config" -- \
  cc "$T/ex.c" -o "$T/ex" $(pkg-config --cflags --libs lathe) -Wl,-rpath,"$T/prefix/lib"
expect_exit 0 "run it" -- "$T/ex"
expect_output "^lathe [0-9]+\.[0-9]+\.[0-9]+ rows 3" "it links and runs"
finish
