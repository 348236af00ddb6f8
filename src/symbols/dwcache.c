/*
 * dwcache: Debian's debug files keep their DWARF zlib-compressed, and
 * libdw inflates every section when it opens one: 40 ms of CPU for libc's
 * (12 MB inflated), more for python3.11's, at every run, while the
 * program's first samples wait. The first run writes the inflated
 * sections to a small ELF file of their own, named by the build id; the
 * next runs map it, and libdw opens it with nothing to inflate.
 *
 * The entry holds the .debug_* sections (decompressed), .gnu_debugaltlink
 * and .debug_sup (for dwz's shared files, found by libdw as for the
 * original) and the build-id note. It is trusted for nothing: it must
 * parse as ELF, carry the build id it is named by, and have nothing
 * compressed; what it holds is then read like any debug file's DWARF.
 */
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tprof/cache.h"
#include "tprof/dwcache.h"
#include "tprof/xalloc.h"

/* The entry's name: BUILDID.debug (NULL: no build id to name it by). */
static char *entry_name(const uint8_t *bid, size_t n)
{
    if (n < 2 || n > 20)
        return NULL;
    char hex[41];
    cache_hex(bid, n, hex);
    return xasprintf("%s.debug", hex);
}

char *dwcache_path(const uint8_t *bid, size_t n)
{
    char *name = entry_name(bid, n);
    char *p = name ? cache_path(name) : NULL;
    free(name);
    return p;
}

static const char *scn_name(Elf *e, size_t shstrndx, const GElf_Shdr *sh)
{
    const char *name = elf_strptr(e, shstrndx, sh->sh_name);
    return name ? name : "";
}

/* A section the entry keeps. */
static bool kept(const char *name, const GElf_Shdr *sh)
{
    if (sh->sh_type == SHT_NOBITS)
        return false;
    return strncmp(name, ".debug_", 7) == 0 || strcmp(name, ".gnu_debugaltlink") == 0 ||
           strcmp(name, ".note.gnu.build-id") == 0;
}

bool dwcache_compressed(Elf *e)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(e, &shstrndx) != 0)
        return false;
    for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        const char *name = scn_name(e, shstrndx, &sh);
        if (strncmp(name, ".zdebug_", 8) == 0)
            return false; /* (the old GNU form: not cached, see kept) */
        if ((sh.sh_flags & SHF_COMPRESSED) && strncmp(name, ".debug_", 7) == 0)
            return true;
    }
    return false;
}

/* The build id in E's note (NT_GNU_BUILD_ID), its length, or 0. */
static size_t note_build_id(Elf *e, uint8_t out[20])
{
    for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        if (!d)
            continue;
        GElf_Nhdr nh;
        size_t off = 0, name_off, desc_off, next;
        while ((next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
                memcmp((const char *)d->d_buf + name_off, "GNU", 4) == 0 && nh.n_descsz >= 2 &&
                nh.n_descsz <= 20) {
                memcpy(out, (const char *)d->d_buf + desc_off, nh.n_descsz);
                return nh.n_descsz;
            }
            off = next;
        }
    }
    return 0;
}

bool dwcache_valid(Elf *e, const uint8_t *bid, size_t n)
{
    if (!e || elf_kind(e) != ELF_K_ELF)
        return false;
    uint8_t have[20];
    size_t hn = note_build_id(e, have);
    if (hn != n || memcmp(have, bid, n) != 0)
        return false;
    size_t shstrndx;
    if (elf_getshdrstrndx(e, &shstrndx) != 0)
        return false;
    bool info = false;
    for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            return false;
        const char *name = scn_name(e, shstrndx, &sh);
        if ((sh.sh_flags & SHF_COMPRESSED) || strncmp(name, ".zdebug_", 8) == 0)
            return false;
        info |= strcmp(name, ".debug_info") == 0 && sh.sh_type != SHT_NOBITS && sh.sh_size;
    }
    return info;
}

typedef VEC(char) strtab;

/* NAME added to the section names T: its offset there. */
static GElf_Word name_add(strtab *t, const char *name)
{
    GElf_Word at = (GElf_Word)t->n;
    size_t len = strlen(name) + 1;
    VEC_RESERVE(*t, t->n + len);
    memcpy(t->v + t->n, name, len);
    t->n += len;
    return at;
}

/* A section of OUT holding SIZE bytes at BUF, as bytes (no conversion),
 * or NULL. */
static Elf_Scn *section_add(Elf *out, GElf_Word name, GElf_Word type, GElf_Xword flags,
                            void *buf, size_t size, GElf_Xword entsize)
{
    Elf_Scn *ns = elf_newscn(out);
    Elf_Data *nd = ns ? elf_newdata(ns) : NULL;
    GElf_Shdr nsh;
    if (!nd || !gelf_getshdr(ns, &nsh))
        return NULL;
    nd->d_buf = buf;
    nd->d_size = size;
    nd->d_type = ELF_T_BYTE;
    nd->d_align = 1;
    nd->d_version = EV_CURRENT;
    nsh.sh_name = name;
    nsh.sh_type = type;
    nsh.sh_flags = flags;
    nsh.sh_addr = 0;
    nsh.sh_size = size;
    nsh.sh_addralign = 1;
    nsh.sh_entsize = entsize;
    return gelf_update_shdr(ns, &nsh) ? ns : NULL;
}

/* SRC's kept sections into the new file OUT (fd FD). */
static int write_entry(Elf *src, int fd, char *err, size_t errlen)
{
    size_t shstrndx;
    GElf_Ehdr seh;
    if (elf_getshdrstrndx(src, &shstrndx) != 0 || !gelf_getehdr(src, &seh)) {
        snprintf(err, errlen, "%s", elf_errmsg(-1));
        return -1;
    }
    Elf *out = elf_begin(fd, ELF_C_WRITE, NULL);
    if (!out || !gelf_newehdr(out, gelf_getclass(src))) {
        snprintf(err, errlen, "%s", elf_errmsg(-1));
        if (out)
            elf_end(out);
        return -1;
    }
    GElf_Ehdr eh;
    gelf_getehdr(out, &eh);
    memcpy(eh.e_ident, seh.e_ident, EI_NIDENT);
    eh.e_type = seh.e_type;
    eh.e_machine = seh.e_machine;
    eh.e_version = seh.e_version;
    eh.e_flags = seh.e_flags;
    /* the names: "\0" then each kept section's, then ".shstrtab" */
    strtab names = {0};
    VEC_PUSH(names, '\0');
    int rc = -1;
    for (Elf_Scn *scn = elf_nextscn(src, NULL); scn; scn = elf_nextscn(src, scn)) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        const char *name = scn_name(src, shstrndx, &sh);
        if (!kept(name, &sh))
            continue;
        /* (the data as libdw left it: inflated, flag cleared) */
        Elf_Data *d = elf_getdata(scn, NULL);
        if (!d || (sh.sh_flags & SHF_COMPRESSED)) {
            snprintf(err, errlen, "section %s could not be read", name);
            goto out;
        }
        if (!section_add(out, name_add(&names, name), sh.sh_type,
                         sh.sh_flags & ~(GElf_Xword)SHF_ALLOC, d->d_buf, d->d_size,
                         sh.sh_entsize)) {
            snprintf(err, errlen, "%s", elf_errmsg(-1));
            goto out;
        }
    }
    /* (its own name first: the buffer is final once added) */
    GElf_Word own = name_add(&names, ".shstrtab");
    Elf_Scn *ss = section_add(out, own, SHT_STRTAB, 0, names.v, names.n, 0);
    if (!ss) {
        snprintf(err, errlen, "%s", elf_errmsg(-1));
        goto out;
    }
    eh.e_shstrndx = (GElf_Half)elf_ndxscn(ss);
    gelf_update_ehdr(out, &eh);
    if (elf_update(out, ELF_C_WRITE) < 0) {
        snprintf(err, errlen, "%s", elf_errmsg(-1));
        goto out;
    }
    rc = 0;
out:
    elf_end(out);
    VEC_FREE(names);
    return rc;
}

int dwcache_store(const uint8_t *bid, size_t n, Elf *src, char *err, size_t errlen)
{
    err[0] = '\0';
    char *name = entry_name(bid, n), *tmp;
    int fd = name ? cache_create(name, &tmp, err, errlen) : -1;
    if (fd < 0) {
        if (!name)
            snprintf(err, errlen, "no build id");
        free(name);
        return -1;
    }
    bool ok = write_entry(src, fd, err, errlen) == 0;
    int rc = cache_commit(name, fd, tmp, ok, err, errlen);
    free(name);
    return rc;
}
