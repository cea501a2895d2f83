/*
 * port_main.c - the simulated board's main(): its command line (the options a
 * reset hands on to the next image are in port.c's wa_port_reset), then the
 * port's init and the agent.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_port.h"
#include "wa_board.h"
#include "wa_flash_faults.h"
#include "wa_port.h"

host_options_t g_host_options = {"flash.bin", 0, -1, -1, NULL, NULL, 0, 0, NULL};

static void usage(const char *program)
{
    fprintf(stderr,
            "usage: %s [--board NAME] [--flash PATH] [--mgmt-port N]\n"
            "          [--flash-faults PLAN] [--flash-trace PATH] [--c-stack BYTES]\n"
            "  wamr-agent firmware for board %s as a host process: console on stdout,\n"
            "  management UART on TCP 127.0.0.1:N (0: any free port, printed at boot),\n"
            "  flash in PATH (default flash.bin). SIGUSR1 resets the board.\n"
            "  --flash-faults PLAN  flash ops (programs and erases, numbered from 0 and\n"
            "      across resets) to fault, comma-separated: cut-before:K, cut-after:K,\n"
            "      cut-during:K[:SEED] (torn op), fail-write:K (a program that does nothing\n"
            "      but reports success). A cut prints 'power cut at flash op K (...)' and\n"
            "      exits with status %d.\n"
            "  --flash-trace PATH   append 'K P|E OFFSET LEN' for every flash op to PATH.\n"
            "  --c-stack BYTES      run the agent on a C stack of BYTES (a thread's, with a\n"
            "      guard page) instead of the process's 8 MiB, so a stack overflow faults\n"
            "      as it would on the MCU (its frames are larger on a 64-bit host).\n",
            program, WA_BOARD_NAME, WA_FLASH_FAULTS_CUT_STATUS);
}

static int parse_int(const char *text, int *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < 0 || v > 65535) {
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int parse_u32(const char *text, uint32_t *out)
{
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (*text < '0' || *text > '9' || *end != '\0' || v > UINT32_MAX) {
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/* One option and its value; 0, or -1 when unknown or malformed. */
static int parse_option(const char *arg, const char *value)
{
    if (strcmp(arg, "--board") == 0) {
        return strcmp(value, WA_BOARD_NAME) == 0 ? 0 : -2;
    }
    host_options_t *o = &g_host_options;
    if (strcmp(arg, "--flash") == 0) {
        o->flash_path = value;
    } else if (strcmp(arg, "--mgmt-port") == 0) {
        return parse_int(value, &o->mgmt_port);
    } else if (strcmp(arg, "--mgmt-fds") == 0) {
        return sscanf(value, "%d,%d", &o->mgmt_listen_fd, &o->mgmt_client_fd) == 2 ? 0 : -1;
    } else if (strcmp(arg, "--flash-faults") == 0) {
        o->fault_plan = value;
    } else if (strcmp(arg, "--flash-trace") == 0) {
        o->trace_path = value;
    } else if (strcmp(arg, "--c-stack") == 0) {
        return parse_u32(value, &o->c_stack);
    } else if (strcmp(arg, "--flash-ops-base") == 0) {
        return parse_u32(value, &o->ops_base);
    } else {
        return -1;
    }
    return 0;
}

static void *agent_thread(void *arg)
{
    (void)arg;
    host_fault_stack();
    wa_agent_main();
}

/* Runs the agent on a thread with a stack of the given size; the main thread
 * only waits, with every signal blocked, so the watchdog's, the reset line's
 * and the faults' signals all go to the agent's thread. */
static void run_on_small_stack(uint32_t bytes)
{
    pthread_attr_t attr;
    pthread_t thread;
    size_t size = bytes < PTHREAD_STACK_MIN ? PTHREAD_STACK_MIN : bytes;
    if (pthread_attr_init(&attr) != 0 || pthread_attr_setstacksize(&attr, size) != 0 ||
        pthread_create(&thread, &attr, agent_thread, NULL) != 0) {
        fprintf(stderr, "port: cannot start the agent on a %u-byte stack\n", (unsigned)bytes);
        exit(2);
    }
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_join(thread, NULL);
    exit(0);
}

int main(int argc, char **argv)
{
    g_host_options.argv = argv;
    for (int i = 1; i < argc; i += 2) {
        int rc = i + 1 < argc ? parse_option(argv[i], argv[i + 1]) : -1;
        if (rc == -2) {
            fprintf(stderr, "%s: built for board %s, not %s\n", argv[0], WA_BOARD_NAME,
                    argv[i + 1]);
            return 2;
        }
        if (rc != 0) {
            usage(argv[0]);
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    wa_port_init();
    if (g_host_options.c_stack != 0) {
        run_on_small_stack(g_host_options.c_stack);
    }
    wa_agent_main();
}
