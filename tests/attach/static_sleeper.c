/* static_sleeper.c: a statically linked program that waits, for `scope
 * attach` to refuse. */
#include <unistd.h>

int main(void)
{
    pause();
    return 0;
}
