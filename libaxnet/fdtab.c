/*
 * fdtab.c - descriptor -> library object (see lib.h). Two levels of
 * 1024 entries, pages allocated on first use and never freed, read
 * without locks (atomic loads); writers hold tab_mu. Objects are
 * type-stable: the last ax_obj_put() of a removed object puts it on a free
 * list of its kind (dead: 0 installed, 1 removed, 2 free). An object may
 * have several descriptors (dups): it is removed with its last.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"

#define PAGE_BITS 10
#define PAGE_SIZE (1u << PAGE_BITS)
#define NPAGES 4096 /* descriptors below 4M */

static struct ax_obj **tab[NPAGES];
static pthread_mutex_t tab_mu = PTHREAD_MUTEX_INITIALIZER;

/* fd's page in tab, or -1 for a descriptor the table cannot hold. */
static inline int page_of(int fd)
{
	if (fd < 0 || (unsigned)fd >> PAGE_BITS >= NPAGES)
		return -1;
	return (int)((unsigned)fd >> PAGE_BITS);
}

static inline unsigned index_of(int fd)
{
	return (unsigned)fd & (PAGE_SIZE - 1);
}

struct freelist {
	size_t size;
	struct ax_obj *head;
};
static struct freelist freelists[3];

struct ax_obj *ax_obj_alloc(int kind, size_t size)
{
	struct freelist *fl = &freelists[kind];
	struct ax_obj *o;

	pthread_mutex_lock(&tab_mu);
	o = fl->head;
	if (o)
		fl->head = o->free_next;
	pthread_mutex_unlock(&tab_mu);
	if (!o) {
		o = calloc(1, size);
		if (!o)
			return NULL;
	}
	memset((char *)o + sizeof(*o), 0, size - sizeof(*o));
	/* refs is only ever added to and subtracted from: a stale reader
	 * that still holds this object's address (it looked it up just
	 * before the close) may be between its increment and decrement. */
	__atomic_store_n(&o->dead, 0, __ATOMIC_RELEASE);
	__atomic_add_fetch(&o->refs, 1, __ATOMIC_ACQ_REL);
	o->kind = kind;
	o->fd = -1;
	o->nfds = 0;
	o->ndups = 0;
	o->free_next = NULL;
	return o;
}

/* Page p of the table, made if need be (under tab_mu): 0 or -ENOMEM. */
static int page_make(int p)
{
	struct ax_obj **pg;

	if (tab[p])
		return 0;
	pg = calloc(PAGE_SIZE, sizeof(*pg));
	if (!pg)
		return -ENOMEM;
	__atomic_store_n(&tab[p], pg, __ATOMIC_RELEASE);
	return 0;
}

int ax_fd_install(int fd, struct ax_obj *o)
{
	int p = page_of(fd);

	if (fd < 0)
		return -EBADF;
	if (p < 0)
		return -EMFILE;
	pthread_mutex_lock(&tab_mu);
	if (page_make(p)) {
		pthread_mutex_unlock(&tab_mu);
		return -ENOMEM;
	}
	__atomic_store_n(&o->fd, fd, __ATOMIC_RELEASE);
	o->nfds = 1;
	o->ndups = 0;
	/* The caller's reference (from ax_obj_alloc) becomes the table's. */
	__atomic_store_n(&tab[p][index_of(fd)], o, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&tab_mu);
	return 0;
}

int ax_fd_dup(int fd, struct ax_obj *o)
{
	int p = page_of(fd), err;

	if (fd < 0)
		return -EBADF;
	if (p < 0)
		return -EMFILE;
	pthread_mutex_lock(&tab_mu);
	/* Its last descriptor was closed while the kernel made the dup: the
	 * dup names a closed socket's eventfd, as a dup made after the close
	 * would have failed (EBADF). */
	if (!o->nfds) {
		err = -EBADF;
		goto out;
	}
	err = page_make(p);
	if (err)
		goto out;
	if (o->ndups == o->capdups) {
		uint32_t cap = o->capdups ? o->capdups * 2 : 4;
		int *n = realloc(o->dups, cap * sizeof(*n));

		if (!n) {
			err = -ENOMEM;
			goto out;
		}
		o->dups = n;
		o->capdups = cap;
	}
	o->dups[o->ndups++] = fd;
	o->nfds++;
	__atomic_add_fetch(&o->refs, 1, __ATOMIC_ACQ_REL);
	__atomic_store_n(&tab[p][index_of(fd)], o, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&tab_mu);
	return err;
}

struct ax_obj *ax_fd_get(int fd)
{
	int p = page_of(fd);
	struct ax_obj **pg, *o;

	if (p < 0)
		return NULL;
	pg = __atomic_load_n(&tab[p], __ATOMIC_ACQUIRE);
	if (!pg)
		return NULL;
	o = __atomic_load_n(&pg[index_of(fd)], __ATOMIC_ACQUIRE);
	if (!o)
		return NULL;
	__atomic_add_fetch(&o->refs, 1, __ATOMIC_ACQ_REL);
	/* Still there? Then the table's reference kept it alive while we
	 * took ours. */
	if (__atomic_load_n(&pg[index_of(fd)], __ATOMIC_ACQUIRE) != o) {
		ax_obj_put(o);
		return NULL;
	}
	return o;
}

int ax_fd_peek(int fd)
{
	int p = page_of(fd);
	struct ax_obj **pg;

	if (p < 0)
		return 0;
	pg = __atomic_load_n(&tab[p], __ATOMIC_ACQUIRE);
	return pg && __atomic_load_n(&pg[index_of(fd)], __ATOMIC_ACQUIRE) != NULL;
}

struct ax_obj *ax_fd_remove(int fd, int *last)
{
	int p = page_of(fd);
	struct ax_obj **pg, *o = NULL;

	*last = 0;
	if (p < 0)
		return NULL;
	pthread_mutex_lock(&tab_mu);
	pg = tab[p];
	o = pg ? pg[index_of(fd)] : NULL;
	if (!o)
		goto out;
	__atomic_store_n(&pg[index_of(fd)], NULL, __ATOMIC_RELEASE);
	if (--o->nfds == 0) {
		*last = 1;
		__atomic_store_n(&o->dead, 1, __ATOMIC_RELEASE);
		goto out;
	}
	/* Others remain: fd leaves the list, or its place goes to one of
	 * them (the library polls and registers that one from now on). */
	for (uint32_t i = 0; i < o->ndups; i++) {
		if (o->dups[i] == fd) {
			o->dups[i] = o->dups[--o->ndups];
			goto out;
		}
	}
	__atomic_store_n(&o->fd, o->dups[--o->ndups], __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&tab_mu);
	return o;
}

void ax_obj_discard(struct ax_obj *o)
{
	__atomic_store_n(&o->dead, 1, __ATOMIC_RELEASE);
	ax_obj_put(o);
}

void ax_obj_put(struct ax_obj *o)
{
	uint32_t one = 1;

	if (__atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* Only the last reference of a removed object frees it, once. */
	if (!__atomic_compare_exchange_n(&o->dead, &one, 2, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&tab_mu);
	o->free_next = freelists[o->kind].head;
	freelists[o->kind].head = o;
	pthread_mutex_unlock(&tab_mu);
}

int ax_fd_is_sock(int fd)
{
	int p = page_of(fd);
	struct ax_obj **pg, *o;

	if (p < 0)
		return 0;
	pg = __atomic_load_n(&tab[p], __ATOMIC_ACQUIRE);
	if (!pg)
		return 0;
	o = __atomic_load_n(&pg[index_of(fd)], __ATOMIC_ACQUIRE);
	/* Type-stable: kind is readable even if o is being closed. */
	return o && o->kind == AX_OBJ_SOCK;
}

void ax_fd_each_sock(void (*fn)(int fd, void *arg), void *arg)
{
	for (int p = 0; p < NPAGES; p++) {
		struct ax_obj **pg = __atomic_load_n(&tab[p], __ATOMIC_ACQUIRE);

		if (!pg)
			continue;
		for (unsigned i = 0; i < PAGE_SIZE; i++) {
			struct ax_obj *o = __atomic_load_n(&pg[i], __ATOMIC_ACQUIRE);

			if (o && o->kind == AX_OBJ_SOCK)
				fn((int)((unsigned)p << PAGE_BITS | i), arg);
		}
	}
}
