/*
 * tty.c — isatty() when the standard streams are a terminal: run.sh runs
 * it under script(1), which gives it a pseudo-terminal, so isatty(0),
 * isatty(1) and isatty(2) are 1 and stdout's filetype is
 * character_device.  (fdstat.c checks isatty() is 0 otherwise.)
 */
#include <wasi/api.h>

#include "check.h"

int main(void)
{
    CHECK_INIT();
    CHECK_INT(isatty(0), 1, "isatty(0) on a terminal");
    CHECK_INT(isatty(1), 1, "isatty(1) on a terminal");
    CHECK_INT(isatty(2), 1, "isatty(2) on a terminal");
    __wasi_fdstat_t fs;
    CHECK_WASI(__wasi_fd_fdstat_get(1, &fs), 0, "fd_fdstat_get(1)");
    CHECK_INT(fs.fs_filetype, __WASI_FILETYPE_CHARACTER_DEVICE, "stdout is a character_device");
    CHECK(!(fs.fs_rights_base & (__WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL)),
          "without fd_seek and fd_tell");
    CHECK_DONE();
}
