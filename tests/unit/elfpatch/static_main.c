/* static_main.c: a program linked with -static and -static-pie, to check
 * that ep_elf_classify() refuses programs that have no GOT for libc. */
#include <unistd.h>

int main(void)
{
    return write(1, "", 0) == 0 ? 0 : 1;
}
