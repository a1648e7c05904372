/* Tries io_uring_setup(2) and says what became of it: "allowed", or the
 * error ("Operation not permitted" under a profile that blocks io_uring).
 * Built static by the system tests: busybox images have no libc to link. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    unsigned char params[120]; /* struct io_uring_params, zeroed */
    memset(params, 0, sizeof(params));
    long fd = syscall(__NR_io_uring_setup, 1, params);
    if (fd >= 0) {
        puts("io_uring_setup: allowed");
        return 0;
    }
    printf("io_uring_setup: %s\n", strerror(errno));
    return 1;
}
