/*
 * ax_kernel.h - the ax_* calls as the kernel's own (the C library's), so a
 * test program written against <axnet/socket.h> builds a second time on
 * kernel sockets (-DAX_KERNEL): the bench compares the same program on
 * both stacks.
 */
#ifndef AX_TOOLS_KERNEL_H
#define AX_TOOLS_KERNEL_H

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define ax_init(dir) ((void)(dir), 0)
#define ax_socket socket
#define ax_bind bind
#define ax_listen listen
#define ax_accept accept
#define ax_accept4 accept4
#define ax_connect connect
#define ax_send send
#define ax_recv recv
#define ax_sendto sendto
#define ax_recvfrom recvfrom
#define ax_sendmsg sendmsg
#define ax_recvmsg recvmsg
#define ax_read read
#define ax_write write
#define ax_readv readv
#define ax_writev writev
#define ax_shutdown shutdown
#define ax_close close
#define ax_getsockopt getsockopt
#define ax_setsockopt setsockopt
#define ax_getsockname getsockname
#define ax_getpeername getpeername
#define ax_fcntl fcntl
#define ax_dup dup
#define ax_dup2 dup2
#define ax_dup3 dup3
#define ax_ioctl ioctl
#define ax_poll poll
#define ax_select select
#define ax_epoll_create1 epoll_create1
#define ax_epoll_ctl epoll_ctl
#define ax_epoll_wait epoll_wait

#endif /* AX_TOOLS_KERNEL_H */
