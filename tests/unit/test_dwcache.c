/* dwcache: an entry written from a file whose DWARF was compressed reads
 * back whole and uncompressed; entries that lie are refused; a write that
 * fails (the file size limit standing in for a full disk, a directory of
 * someone else) leaves nothing; writers racing leave one good entry. */
#include <dirent.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tprof/cache.h"
#include "tprof/dwcache.h"

static char dir[64];
static const uint8_t BID[20] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2,
                                3,    4,    5,    6,    7,    8,    9,    10,   11, 12};
static const uint8_t OTHER[20] = {0xff, 1, 2, 3};
#define INFO_LEN 100000

static void add_section(Elf *e, const char *strtab_names, size_t name_off, GElf_Word type,
                        const void *buf, size_t len, GElf_Xword flags)
{
    (void)strtab_names;
    Elf_Scn *scn = elf_newscn(e);
    Elf_Data *d = elf_newdata(scn);
    d->d_buf = (void *)buf;
    d->d_size = len;
    d->d_type = ELF_T_BYTE;
    d->d_align = 1;
    GElf_Shdr sh;
    gelf_getshdr(scn, &sh);
    sh.sh_name = (GElf_Word)name_off;
    sh.sh_type = type;
    sh.sh_flags = flags;
    sh.sh_size = len;
    sh.sh_addralign = 1;
    gelf_update_shdr(scn, &sh);
}

/* A debug file with build id ID, a .debug_info of INFO_LEN patterned
 * bytes (compressed when Z) and a .symtab-less rest. Its path. */
static char *make_debug_file(const uint8_t *id, bool z)
{
    static char path[96];
    snprintf(path, sizeof(path), "%s/src.XXXXXX", dir);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    Elf *e = elf_begin(fd, ELF_C_WRITE, NULL);
    gelf_newehdr(e, ELFCLASS64);
    GElf_Ehdr eh;
    gelf_getehdr(e, &eh);
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_type = ET_DYN;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    static const char names[] = "\0.debug_info\0.note.gnu.build-id\0.shstrtab\0.text";
    static uint8_t info[INFO_LEN];
    for (size_t i = 0; i < sizeof(info); i++)
        info[i] = (uint8_t)(i % 251);
    static uint8_t note[16 + 20];
    uint32_t hdr[3] = {4, 20, 3 /* NT_GNU_BUILD_ID */};
    memcpy(note, hdr, sizeof(hdr));
    memcpy(note + 12, "GNU", 4);
    memcpy(note + 16, id, 20);
    add_section(e, names, 1, SHT_PROGBITS, info, sizeof(info), 0);
    add_section(e, names, 13, SHT_NOTE, note, sizeof(note), SHF_ALLOC);
    add_section(e, names, 46, SHT_NOBITS, NULL, 4096, SHF_ALLOC | SHF_EXECINSTR);
    add_section(e, names, 36, SHT_STRTAB, names, sizeof(names), 0);
    eh.e_shstrndx = 4;
    gelf_update_ehdr(e, &eh);
    if (z)
        assert_int_equal(elf_compress(elf_getscn(e, 1), ELFCOMPRESS_ZLIB, 0), 1);
    assert_true(elf_update(e, ELF_C_WRITE) > 0);
    elf_end(e);
    close(fd);
    return path;
}

/* PATH read (a copy in memory: libelf's ELF_C_READ) */
static Elf *open_elf(const char *path, int *fd)
{
    *fd = open(path, O_RDONLY);
    assert_true(*fd >= 0);
    return elf_begin(*fd, ELF_C_READ, NULL);
}

static int count_files(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
    closedir(d);
    return n;
}

static int setup(void **state)
{
    (void)state;
    elf_version(EV_CURRENT);
    snprintf(dir, sizeof(dir), "/tmp/tprof-dwcache.XXXXXX");
    assert_non_null(mkdtemp(dir));
    cache_set_dir(dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd);
}

static void test_write_then_read(void **state)
{
    (void)state;
    char *src = make_debug_file(BID, true);
    int fd;
    Elf *e = open_elf(src, &fd);
    assert_true(dwcache_compressed(e));
    /* as libdw leaves it: inflated in place */
    assert_int_equal(elf_compress(elf_getscn(e, 1), 0, 0), 1);
    char err[256];
    assert_int_equal(dwcache_store(BID, 20, e, err, sizeof(err)), 0);
    elf_end(e);
    close(fd);
    unlink(src);
    char *path = dwcache_path(BID, 20);
    assert_non_null(strstr(path, "123456789abcdef00102030405060708090a0b0c.debug"));
    Elf *c = open_elf(path, &fd);
    assert_true(dwcache_valid(c, BID, 20));
    assert_false(dwcache_valid(c, OTHER, 20)); /* named by one, holding another */
    assert_false(dwcache_compressed(c));
    Elf_Data *d = elf_getdata(elf_getscn(c, 1), NULL);
    assert_int_equal(d->d_size, INFO_LEN);
    for (size_t i = 0; i < INFO_LEN; i++)
        if (((uint8_t *)d->d_buf)[i] != (uint8_t)(i % 251))
            fail_msg("byte %zu differs", i);
    /* only DWARF, the note and the names: .text is not kept */
    size_t n;
    elf_getshdrnum(c, &n);
    assert_int_equal(n, 4);
    elf_end(c);
    close(fd);
    free(path);
    assert_int_equal(count_files(), 1);
}

static void test_lying_entries_refused(void **state)
{
    (void)state;
    int fd;
    /* compressed: not what the cache writes */
    char *src = make_debug_file(BID, true);
    Elf *e = open_elf(src, &fd);
    assert_false(dwcache_valid(e, BID, 20));
    elf_end(e);
    close(fd);
    /* truncated to half */
    src = make_debug_file(BID, false);
    e = open_elf(src, &fd);
    assert_true(dwcache_valid(e, BID, 20));
    elf_end(e);
    close(fd);
    struct stat st;
    stat(src, &st);
    assert_int_equal(truncate(src, st.st_size / 2), 0);
    e = open_elf(src, &fd);
    assert_false(dwcache_valid(e, BID, 20));
    if (e)
        elf_end(e);
    close(fd);
    /* not ELF at all */
    FILE *f = fopen(src, "w");
    fputs("#!/bin/sh\necho not a debug file\n", f);
    fclose(f);
    e = open_elf(src, &fd);
    assert_false(dwcache_valid(e, BID, 20));
    if (e)
        elf_end(e);
    close(fd);
    unlink(src);
    assert_false(dwcache_valid(NULL, BID, 20));
}

/* A write that cannot finish (RLIMIT_FSIZE: as a full disk would) leaves
 * no file, half or temporary, and says why. */
static void test_failed_write_leaves_nothing(void **state)
{
    (void)state;
    char *src = make_debug_file(OTHER, false);
    int fd;
    Elf *e = open_elf(src, &fd);
    int before = count_files();
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {4096, 4096};
        setrlimit(RLIMIT_FSIZE, &rl);
        char err[256];
        int rc = dwcache_store(OTHER, 20, e, err, sizeof(err));
        _exit(rc == -1 && err[0] ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(count_files(), before);
    elf_end(e);
    close(fd);
    unlink(src);
}

/* A cache directory of another user is left alone (root only). */
static void test_not_our_directory(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: needs root to make a directory of another user\n");
        return;
    }
    char sub[128];
    snprintf(sub, sizeof(sub), "%s/theirs", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(chown(sub, 65534, 65534), 0);
    cache_set_dir(sub);
    char *src = make_debug_file(BID, false);
    int fd;
    Elf *e = open_elf(src, &fd);
    char err[256];
    assert_int_equal(dwcache_store(BID, 20, e, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a directory of this user"));
    elf_end(e);
    close(fd);
    unlink(src);
    cache_set_dir(dir);
}

/* Eight writers at once: one whole entry, no temporary left. */
static void test_racing_writers(void **state)
{
    (void)state;
    static const uint8_t RACE[20] = {0xaa, 0xbb, 0xcc};
    char *src = make_debug_file(RACE, false);
    char srcpath[96];
    snprintf(srcpath, sizeof(srcpath), "%s", src);
    int before = count_files();
    pid_t kids[8];
    for (int i = 0; i < 8; i++)
        if ((kids[i] = fork()) == 0) {
            int fd;
            Elf *e = open_elf(srcpath, &fd);
            char err[256];
            _exit(dwcache_store(RACE, 20, e, err, sizeof(err)) == 0 ? 0 : 1);
        }
    for (int i = 0; i < 8; i++) {
        int st;
        waitpid(kids[i], &st, 0);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    assert_int_equal(count_files(), before + 1);
    char *path = dwcache_path(RACE, 20);
    int fd;
    Elf *c = open_elf(path, &fd);
    assert_true(dwcache_valid(c, RACE, 20));
    elf_end(c);
    close(fd);
    free(path);
    unlink(srcpath);
}

static void test_off(void **state)
{
    (void)state;
    cache_set_enabled(false);
    assert_null(dwcache_path(BID, 20));
    cache_set_enabled(true);
    char *p = dwcache_path(BID, 20);
    assert_non_null(p);
    free(p);
    assert_null(dwcache_path(BID, 1)); /* (no build id to name it by) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_then_read),
        cmocka_unit_test(test_lying_entries_refused),
        cmocka_unit_test(test_failed_write_leaves_nothing),
        cmocka_unit_test(test_not_our_directory),
        cmocka_unit_test(test_racing_writers),
        cmocka_unit_test(test_off),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
