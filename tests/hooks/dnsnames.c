/* dnsnames.c: looks a name up with each of gethostbyname,
 * gethostbyname2, gethostbyname_r and gethostbyname2_r, in that order.
 * Usage: dnsnames NAME. Prints how many lookups found the name. */
#include <netdb.h>
#include <stdio.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
    struct hostent ret, *res = NULL;
    char buf[8192];
    int err, found = 0;

    if (argc != 2)
        return 2;
    found += gethostbyname(argv[1]) != NULL;
    found += gethostbyname2(argv[1], AF_INET) != NULL;
    found += gethostbyname_r(argv[1], &ret, buf, sizeof buf, &res, &err) == 0 && res;
    res = NULL;
    found += gethostbyname2_r(argv[1], AF_INET, &ret, buf, sizeof buf, &res, &err) == 0 && res;
    printf("%d\n", found);
    return 0;
}
