/* loop: the daemon's one event loop — epoll over file descriptors, with
 * signals (signalfd) and timers (timerfd) as descriptors too.  Nothing
 * polls: the process sleeps in epoll_wait until something happens. */
#ifndef EW_LOOP_H
#define EW_LOOP_H
#include <stdint.h>

struct loop;

/* called when fd is ready; events are EPOLLIN/EPOLLOUT/... */
typedef void loop_fd_fn(void *arg, int fd, uint32_t events);

struct loop *loop_new(void);
void loop_free(struct loop *l);
/* loop_add / loop_mod / loop_del: watch fd; 0 or -1 (errno set) */
int loop_add(struct loop *l, int fd, uint32_t events, loop_fd_fn *fn, void *arg);
int loop_mod(struct loop *l, int fd, uint32_t events);
int loop_del(struct loop *l, int fd);
/* loop_run: dispatch until loop_stop(); 0, or -1 if epoll fails */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

/* timers: a one-shot timerfd; arm with a delay in ms (0 disarms) */
int loop_timer_new(void);
int loop_timer_arm(int tfd, int64_t ms);
/* loop_timer_ack: read the expiration count (call in the fd callback) */
void loop_timer_ack(int tfd);

#endif
