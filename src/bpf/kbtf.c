/*
 * kbtf: the few kernel types the kernel program reads, as a BTF of their
 * own. The program reads three fields of task_struct (thread.fsbase,
 * real_parent, tgid), placed by CO-RE at load time; to place them libbpf
 * parses the kernel's whole BTF (/sys/kernel/btf/vmlinux: 126,000 types,
 * 10 ms of each start, on the path of a Python program tprof launches).
 * Given instead a BTF holding only those types at the running kernel's
 * offsets (btf_custom_path), libbpf reads a few hundred bytes.
 *
 * That BTF is made once per boot from the kernel's own, and kept in
 * tprof's cache ("kbtf-BOOTID"). An entry is used only if it is exactly
 * the five types made here, every field inside its struct.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "tprof/cache.h"
#include "tprof/kbtf.h"
#include "tprof/xalloc.h"

/* Type ids in the BTF made here, in the order they are added. */
enum { ID_INT = 1, ID_ULONG, ID_THREAD, ID_TASK, ID_TASK_PTR, ID_N };

/* The byte offset of member NAME of struct ID in BTF (not a bitfield), and
 * its type; -1 when it has none. */
static long member_offset(const struct btf *btf, int id, const char *name, __u32 *type)
{
    const struct btf_type *t = btf__type_by_id(btf, (__u32)id);
    if (!t || !btf_is_struct(t))
        return -1;
    const struct btf_member *m = btf_members(t);
    for (__u16 i = 0; i < btf_vlen(t); i++, m++) {
        const char *n = btf__name_by_offset(btf, m->name_off);
        if (!n || strcmp(n, name) != 0)
            continue;
        __u32 bits = btf_member_bit_offset(t, i);
        if (btf_member_bitfield_size(t, i) || bits % 8)
            return -1;
        if (type)
            *type = m->type;
        return bits / 8;
    }
    return -1;
}

struct btf *kbtf_make(const struct btf *vmlinux)
{
    int task = btf__find_by_name_kind(vmlinux, "task_struct", BTF_KIND_STRUCT);
    int thread = btf__find_by_name_kind(vmlinux, "thread_struct", BTF_KIND_STRUCT);
    if (task <= 0 || thread <= 0)
        return NULL;
    long fsbase = member_offset(vmlinux, thread, "fsbase", NULL);
    long th = member_offset(vmlinux, task, "thread", NULL);
    long parent = member_offset(vmlinux, task, "real_parent", NULL);
    long tgid = member_offset(vmlinux, task, "tgid", NULL);
    const struct btf_type *tt = btf__type_by_id(vmlinux, (__u32)task);
    const struct btf_type *ht = btf__type_by_id(vmlinux, (__u32)thread);
    if (fsbase < 0 || th < 0 || parent < 0 || tgid < 0 || !tt || !ht)
        return NULL;
    struct btf *b = btf__new_empty();
    if (!b)
        return NULL;
    bool ok = btf__add_int(b, "int", 4, BTF_INT_SIGNED) == ID_INT &&
              btf__add_int(b, "long unsigned int", 8, 0) == ID_ULONG &&
              btf__add_struct(b, "thread_struct", ht->size) == ID_THREAD &&
              btf__add_field(b, "fsbase", ID_ULONG, (__u32)fsbase * 8, 0) == 0 &&
              btf__add_struct(b, "task_struct", tt->size) == ID_TASK &&
              btf__add_field(b, "thread", ID_THREAD, (__u32)th * 8, 0) == 0 &&
              btf__add_field(b, "real_parent", ID_TASK_PTR, (__u32)parent * 8, 0) == 0 &&
              btf__add_field(b, "tgid", ID_INT, (__u32)tgid * 8, 0) == 0 &&
              btf__add_ptr(b, ID_TASK) == ID_TASK_PTR;
    if (!ok || !kbtf_good(b)) {
        btf__free(b);
        return NULL;
    }
    return b;
}

/* Member NAME of struct ID: of type TYPE, inside the struct. */
static bool member_good(const struct btf *b, int id, const char *name, __u32 type, __u32 size)
{
    __u32 ty = 0;
    long off = member_offset(b, id, name, &ty);
    const struct btf_type *t = btf__type_by_id(b, (__u32)id);
    return off >= 0 && ty == type && t && (uint64_t)off + size <= t->size;
}

bool kbtf_good(const struct btf *b)
{
    if (btf__type_cnt(b) != ID_N)
        return false;
    static const struct {
        __u32 id;
        const char *name;
        __u16 kind;
        __u16 vlen;
    } want[] = {
        {ID_INT, "int", BTF_KIND_INT, 0},
        {ID_ULONG, "long unsigned int", BTF_KIND_INT, 0},
        {ID_THREAD, "thread_struct", BTF_KIND_STRUCT, 1},
        {ID_TASK, "task_struct", BTF_KIND_STRUCT, 3},
        {ID_TASK_PTR, "", BTF_KIND_PTR, 0},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct btf_type *t = btf__type_by_id(b, want[i].id);
        const char *n = t ? btf__name_by_offset(b, t->name_off) : NULL;
        if (!t || btf_kind(t) != want[i].kind || btf_vlen(t) != want[i].vlen || !n ||
            strcmp(n, want[i].name) != 0)
            return false;
    }
    const struct btf_type *ptr = btf__type_by_id(b, ID_TASK_PTR);
    if (ptr->type != ID_TASK || btf__type_by_id(b, ID_INT)->size != 4 ||
        btf__type_by_id(b, ID_ULONG)->size != 8)
        return false;
    return member_good(b, ID_THREAD, "fsbase", ID_ULONG, 8) &&
           member_good(b, ID_TASK, "thread", ID_THREAD, btf__type_by_id(b, ID_THREAD)->size) &&
           member_good(b, ID_TASK, "real_parent", ID_TASK_PTR, 8) &&
           member_good(b, ID_TASK, "tgid", ID_INT, 4);
}

/* The entry NAME made from the kernel's BTF and written; whether it was. */
static bool write_entry(const char *name)
{
    /* (the file first: a cache that cannot be written costs no parse) */
    char *tmp, err[256];
    int fd = cache_create(name, &tmp, err, sizeof(err));
    if (fd < 0)
        return false;
    struct btf *vmlinux = btf__load_vmlinux_btf();
    struct btf *b = vmlinux ? kbtf_make(vmlinux) : NULL;
    btf__free(vmlinux);
    __u32 size = 0;
    const void *raw = b ? btf__raw_data(b, &size) : NULL;
    bool ok = raw && write(fd, raw, size) == (ssize_t)size;
    ok = cache_commit(name, fd, tmp, ok, err, sizeof(err)) == 0 && ok;
    btf__free(b);
    if (ok)
        cache_remove_others("kbtf-", name); /* (boots gone) */
    return ok;
}

char *kbtf_path(void)
{
    char id[40], name[64];
    if (!cache_boot_id(id, sizeof(id)))
        return NULL;
    snprintf(name, sizeof(name), "kbtf-%s", id);
    char *path = cache_path(name);
    if (!path)
        return NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct btf *b = btf__parse_raw(path);
        bool good = b && kbtf_good(b);
        btf__free(b);
        if (good)
            return path;
        if (attempt == 0 && !write_entry(name))
            break;
    }
    free(path);
    return NULL;
}
