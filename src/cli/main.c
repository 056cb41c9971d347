#include "lathe/lathe.h"
#include <stdio.h>
int main(void) { printf("lathe %s\n", LATHE_VERSION); return 0; }
