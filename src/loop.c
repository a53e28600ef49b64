/* loop: epoll event loop (see loop.h) */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "xmalloc.h"

struct watch {
	int fd;
	loop_fd_fn *fn;
	void *arg;
	struct watch *next;
};

struct loop {
	int epfd;
	int stop;
	struct watch *watches;
	struct watch *dead;     /* deleted during a dispatch batch: freed after it */
};

struct loop *loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof *l);

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	struct watch *w, *n;

	if (l == NULL)
		return;
	for (w = l->watches; w; w = n) {
		n = w->next;
		free(w);
	}
	for (w = l->dead; w; w = n) {
		n = w->next;
		free(w);
	}
	close(l->epfd);
	free(l);
}

int loop_add(struct loop *l, int fd, uint32_t events, loop_fd_fn *fn, void *arg)
{
	struct epoll_event ev;
	struct watch *w = xcalloc(1, sizeof *w);

	w->fd = fd;
	w->fn = fn;
	w->arg = arg;
	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(w);
		return -1;
	}
	w->next = l->watches;
	l->watches = w;
	return 0;
}

static struct watch *find(struct loop *l, int fd, struct watch ***prev)
{
	struct watch **p;

	for (p = &l->watches; *p; p = &(*p)->next)
		if ((*p)->fd == fd) {
			if (prev)
				*prev = p;
			return *p;
		}
	return NULL;
}

int loop_mod(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev;
	struct watch *w = find(l, fd, NULL);

	if (w == NULL) {
		errno = ENOENT;
		return -1;
	}
	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.ptr = w;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

int loop_del(struct loop *l, int fd)
{
	struct watch **prev, *w = find(l, fd, &prev);

	if (w == NULL) {
		errno = ENOENT;
		return -1;
	}
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	*prev = w->next;
	/* an event for w may still be in the batch being dispatched: keep the
	 * memory valid until the batch ends, disabled */
	w->fn = NULL;
	w->next = l->dead;
	l->dead = w;
	return 0;
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[16];
	int n, i;

	l->stop = 0;
	while (!l->stop) {
		n = epoll_wait(l->epfd, evs, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("epoll_wait");
			return -1;
		}
		for (i = 0; i < n && !l->stop; i++) {
			struct watch *w = evs[i].data.ptr;

			/* fn is NULL when an earlier callback of this batch deleted w */
			if (w->fn)
				w->fn(w->arg, w->fd, evs[i].events);
		}
		while (l->dead) {
			struct watch *d = l->dead;

			l->dead = d->next;
			free(d);
		}
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = 1;
}

int loop_timer_new(void)
{
	return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
}

int loop_timer_arm(int tfd, int64_t ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof its);
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	return timerfd_settime(tfd, 0, &its, NULL);
}

void loop_timer_ack(int tfd)
{
	uint64_t n;

	while (read(tfd, &n, sizeof n) > 0)
		;
}
