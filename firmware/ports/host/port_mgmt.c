/*
 * port_mgmt.c - the management UART as a TCP server on 127.0.0.1: one client
 * at a time, accepted without blocking when the firmware reads; a client
 * that disconnects is dropped and the next one accepted. Bytes written while
 * no client is connected are lost, as on a UART with nothing attached.
 * wa_port_mgmt_wait() is poll(2) on the client (or, with none, on the
 * listening socket), so a request wakes the agent as soon as it arrives.
 *
 * The sockets are not close-on-exec: a reset (re-exec) hands them to the
 * next image (--mgmt-fds), so the port and the connection survive it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host_port.h"
#include "wa_console.h"
#include "wa_port.h"

static int s_listen = -1;
static int s_client = -1;

static void set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) {
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    }
}

static int bind_listener(int port)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((uint16_t)port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    if (fd < 0) {
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 1) != 0) {
        close(fd);
        return -1;
    }
    set_nonblocking(fd);
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        return -1;
    }
    return ntohs(addr.sin_port);
}

int host_mgmt_init(int port, int listen_fd, int client_fd)
{
    if (listen_fd >= 0 && bound_port(listen_fd) > 0) {
        s_listen = listen_fd;
        s_client = client_fd;
    } else {
        s_listen = bind_listener(port);
    }
    if (s_listen < 0) {
        wa_console_printf("port: cannot listen on 127.0.0.1:%d for the management UART: %s\n", port,
                          strerror(errno));
        return -1;
    }
    wa_console_printf("mgmt port %d\n", bound_port(s_listen));
    return 0;
}

int host_mgmt_listen_fd(void)
{
    return s_listen;
}

int host_mgmt_client_fd(void)
{
    return s_client;
}

static void drop_client(void)
{
    if (s_client >= 0) {
        close(s_client);
        s_client = -1;
    }
}

static void accept_client(void)
{
    if (s_client >= 0 || s_listen < 0) {
        return;
    }
    int fd = accept(s_listen, NULL, NULL);
    if (fd >= 0) {
        int one = 1; /* like a UART: bytes leave at once, not when the peer ACKs */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        set_nonblocking(fd);
        s_client = fd;
    }
}

size_t wa_port_mgmt_read(uint8_t *buf, size_t cap)
{
    accept_client();
    if (s_client < 0 || cap == 0) {
        return 0;
    }
    ssize_t n = recv(s_client, buf, cap, MSG_DONTWAIT);
    if (n > 0) {
        return (size_t)n;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        drop_client(); /* disconnected: the next client may connect */
    }
    return 0;
}

void wa_port_mgmt_write(const uint8_t *buf, size_t n)
{
    accept_client();
    while (s_client >= 0 && n > 0) {
        ssize_t w = send(s_client, buf, n, MSG_NOSIGNAL);
        if (w > 0) {
            buf += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            usleep(1000); /* blocking write: wait for the peer to take bytes */
        } else {
            drop_client();
        }
    }
}

void wa_port_mgmt_wait(uint32_t ms)
{
    accept_client();
    struct pollfd fd = {s_client >= 0 ? s_client : s_listen, POLLIN, 0};
    if (fd.fd < 0) {
        wa_port_sleep_ms(ms);
        return;
    }
    /* A signal (the watchdog's timer) ends it early with EINTR: the caller reads
     * the time again. A closed connection is readable: the next read drops it. */
    (void)poll(&fd, 1, ms > (uint32_t)INT_MAX ? INT_MAX : (int)ms);
}
