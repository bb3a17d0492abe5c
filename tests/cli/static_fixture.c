/* static_fixture.c: a statically linked program, for `scope run` to refuse. */
int main(void)
{
    return 0;
}
