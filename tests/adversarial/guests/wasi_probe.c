/*
 * wasi_probe: a hostile WASI guest.  argv[1] names one attack; the guest
 * prints what it observes (WASI errno values, as "name=N\n") on stdout
 * through raw fd_write calls (nothing buffered, so what was printed before
 * a trap is kept), then attempts the attack.  The raw imports below take
 * plain integers, so any pointer or length can be handed to the host.
 */
#include <stdint.h>
#include <string.h>

#define IMPORT(n) __attribute__((import_module("wasi_snapshot_preview1"), \
	import_name(#n)))

IMPORT(fd_write) int32_t w_fd_write(int32_t, int32_t, int32_t, int32_t);
IMPORT(fd_read) int32_t w_fd_read(int32_t, int32_t, int32_t, int32_t);
IMPORT(fd_close) int32_t w_fd_close(int32_t);
IMPORT(fd_seek) int32_t w_fd_seek(int32_t, int64_t, int32_t, int32_t);
IMPORT(fd_tell) int32_t w_fd_tell(int32_t, int32_t);
IMPORT(fd_fdstat_get) int32_t w_fd_fdstat_get(int32_t, int32_t);
IMPORT(fd_sync) int32_t w_fd_sync(int32_t);
IMPORT(fd_prestat_get) int32_t w_fd_prestat_get(int32_t, int32_t);
IMPORT(fd_prestat_dir_name) int32_t w_fd_prestat_dir_name(int32_t, int32_t,
    int32_t);
IMPORT(fd_readdir) int32_t w_fd_readdir(int32_t, int32_t, int32_t, int64_t,
    int32_t);
IMPORT(path_open) int32_t w_path_open(int32_t, int32_t, int32_t, int32_t,
    int32_t, int64_t, int64_t, int32_t, int32_t);
IMPORT(path_filestat_get) int32_t w_path_filestat_get(int32_t, int32_t,
    int32_t, int32_t, int32_t);
IMPORT(args_sizes_get) int32_t w_args_sizes_get(int32_t, int32_t);
IMPORT(args_get) int32_t w_args_get(int32_t, int32_t);
IMPORT(environ_sizes_get) int32_t w_environ_sizes_get(int32_t, int32_t);
IMPORT(environ_get) int32_t w_environ_get(int32_t, int32_t);
IMPORT(random_get) int32_t w_random_get(int32_t, int32_t);
IMPORT(clock_time_get) int32_t w_clock_time_get(int32_t, int64_t, int32_t);
IMPORT(clock_res_get) int32_t w_clock_res_get(int32_t, int32_t);
IMPORT(poll_oneoff) int32_t w_poll_oneoff(int32_t, int32_t, int32_t,
    int32_t);
IMPORT(proc_raise) int32_t w_proc_raise(int32_t);
IMPORT(sched_yield) int32_t w_sched_yield(void);
IMPORT(proc_exit) _Noreturn void w_proc_exit(int32_t);

#define P(x) ((int32_t)(uintptr_t)(x))

static uint32_t iov[2 * 4100];	/* iovec arrays the attacks build */
static char buf[4096];
static uint32_t word[4];

static uint32_t
memsize(void)
{
	return (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
}

static void
out(int fd, const void *p, uint32_t n)
{
	static uint32_t v[2], nw;

	v[0] = (uint32_t)P(p);
	v[1] = n;
	w_fd_write(fd, P(v), 1, P(&nw));
}

static int num_fd = 1;	/* where say() writes */

static void
say(const char *s)
{
	out(num_fd, s, (uint32_t)strlen(s));
}

static void
num(const char *name, long long v)
{
	char t[32];
	int i = 31, neg = v < 0;
	unsigned long long u = neg ? -(unsigned long long)v : (unsigned long long)v;

	say(name);
	say("=");
	t[i] = '\0';
	do {
		t[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (neg)
		t[--i] = '-';
	say(t + i);
	say("\n");
}

static uint32_t
atou(const char *s)
{
	uint32_t v = 0;

	if (s[0] == '0' && s[1] == 'x') {
		for (s += 2; *s; s++)
			v = v * 16 + (uint32_t)(*s <= '9' ? *s - '0' :
			    (*s | 0x20) - 'a' + 10);
		return v;
	}
	for (; *s; s++)
		v = v * 10 + (uint32_t)(*s - '0');
	return v;
}

/* Writes n bytes of the pattern i % 251 to fd in chunks of chunk bytes,
 * each call with one iovec (or two halves when split is set); n = 0 is
 * endless. */
static void
flood(int fd, uint32_t n, uint32_t chunk, int split)
{
	static unsigned char pat[65536];
	uint32_t i, done = 0, nw;

	for (i = 0; i < sizeof(pat); i++)
		pat[i] = (unsigned char)(i % 251);
	while (n == 0 || done < n) {
		uint32_t len = chunk, off = done % 251;

		if (n != 0 && n - done < len)
			len = n - done;
		if (split) {
			iov[0] = (uint32_t)P(pat + off);
			iov[1] = len / 2;
			iov[2] = (uint32_t)P(pat + off + len / 2);
			iov[3] = len - len / 2;
			w_fd_write(fd, P(iov), 2, P(&nw));
		} else {
			iov[0] = (uint32_t)P(pat + off);
			iov[1] = len;
			w_fd_write(fd, P(iov), 1, P(&nw));
		}
		done += len;
	}
}

int
main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	uint32_t top = memsize(), nw = 0, i;

	if (strcmp(m, "badfd") == 0) {
		/* descriptors the guest was never given */
		iov[0] = (uint32_t)P("LEAK");
		iov[1] = 4;
		num("fd_write(0)", w_fd_write(0, P(iov), 1, P(&nw)));
		num("fd_write(3)", w_fd_write(3, P(iov), 1, P(&nw)));
		num("fd_write(4)", w_fd_write(4, P(iov), 1, P(&nw)));
		num("fd_write(100)", w_fd_write(100, P(iov), 1, P(&nw)));
		num("fd_write(-1)", w_fd_write(-1, P(iov), 1, P(&nw)));
		iov[0] = (uint32_t)P(buf);
		iov[1] = 16;
		num("fd_read(1)", w_fd_read(1, P(iov), 1, P(&nw)));
		num("fd_read(3)", w_fd_read(3, P(iov), 1, P(&nw)));
		num("fd_close(3)", w_fd_close(3));
		num("fd_fdstat_get(100)", w_fd_fdstat_get(100, P(buf)));
		num("fd_seek(1)", w_fd_seek(1, 0, 0, P(buf)));
		num("fd_tell(5)", w_fd_tell(5, P(buf)));
		num("fd_sync(2)", w_fd_sync(2));
		num("nwritten", nw);
		return 0;
	}
	if (strcmp(m, "paths") == 0) {
		/* no preopened directories: every way into the host's files
		 * answers EBADF */
		static const char *const names[] = { "/etc/passwd",
		    "../../../../etc/shadow", "/proc/self/mem", "." };
		for (i = 0; i < 6; i++)
			num("fd_prestat_get", w_fd_prestat_get((int32_t)i,
			    P(buf)));
		num("fd_prestat_dir_name(3)", w_fd_prestat_dir_name(3, P(buf),
		    64));
		for (i = 0; i < 4; i++) {
			num(names[i], w_path_open(3, 1, P(names[i]),
			    (int32_t)strlen(names[i]), 0, -1, -1, 0, P(word)));
		}
		num("path_open(0)", w_path_open(0, 0, P(names[0]), 11, 0, -1,
		    -1, 0, P(word)));
		num("path_open(oob path)", w_path_open(3, 0, (int32_t)top - 2,
		    100, 0, -1, -1, 0, P(word)));
		num("path_filestat_get", w_path_filestat_get(3, 0, P(names[0]),
		    11, P(buf)));
		num("fd_readdir", w_fd_readdir(3, P(buf), 64, 0, P(word)));
		num("poll_oneoff", w_poll_oneoff(P(buf), P(buf + 64), 1,
		    P(word)));
		num("proc_raise", w_proc_raise(9));
		num("sched_yield", w_sched_yield());
		return 0;
	}
	if (strcmp(m, "clock") == 0) {
		static uint64_t t;

		num("clock_time_get(4)", w_clock_time_get(4, 0, P(&t)));
		num("clock_time_get(-1)", w_clock_time_get(-1, 0, P(&t)));
		num("clock_res_get(99)", w_clock_res_get(99, P(&t)));
		num("clock_time_get(1)", w_clock_time_get(1, 0, P(&t)));
		num("t", (long long)t);
		num("clock_time_get(1)", w_clock_time_get(1, 0, P(&t)));
		num("t", (long long)t);
		num("clock_time_get(0)", w_clock_time_get(0, 1, P(&t)));
		num("t", (long long)t);
		return 0;
	}
	if (strcmp(m, "iov_total") == 0) {
		/* 4097 iovecs of the whole memory: the total passes 2^32 */
		for (i = 0; i < 4097; i++) {
			iov[2 * i] = 0;
			iov[2 * i + 1] = top;
		}
		num("memsize_ok", top >= (1u << 20));
		num("fd_write", w_fd_write(1, P(iov), 4097, P(&nw)));
		return 0;
	}
	if (strcmp(m, "edges") == 0) {
		/* buffers that end exactly at the end of memory are fine */
		uint32_t sz[2];

		w_args_sizes_get(P(&sz[0]), P(&sz[1]));
		num("args_get(end)", w_args_get(P(iov), (int32_t)(top - sz[1])));
		out(1, (const void *)(uintptr_t)(top - sz[1]), sz[1]);
		say("\n");
		w_environ_sizes_get(P(&sz[0]), P(&sz[1]));
		num("environ_get(end)", w_environ_get((int32_t)(top -
		    4 * sz[0]), P(buf)));
		num("random_get(end)", w_random_get((int32_t)(top - 16), 16));
		num("random_get(0 bytes at end)", w_random_get((int32_t)top,
		    0));
		num("clock_time_get(end)", w_clock_time_get(1, 0,
		    (int32_t)(top - 8)));
		iov[0] = top - 3;
		iov[1] = 3;
		*(volatile char *)(uintptr_t)(top - 3) = 'e';
		*(volatile char *)(uintptr_t)(top - 2) = 'n';
		*(volatile char *)(uintptr_t)(top - 1) = 'd';
		num("fd_write(end)", w_fd_write(1, P(iov), 1, (int32_t)(top -
		    4 - 3)));
		say("\n");
		return 0;
	}
	if (strcmp(m, "flood") == 0 && argc > 5) {
		flood((int)atou(argv[2]), atou(argv[3]), atou(argv[4]),
		    argv[5][0] == 's');
		return 0;
	}
	if (strcmp(m, "close_stdout") == 0) {
		/* after fd_close(1) stdout is gone: EBADF, reported on fd 2 */
		iov[0] = (uint32_t)P("LEAK");
		iov[1] = 4;
		num_fd = 2;
		num("fd_close(1)", w_fd_close(1));
		num("fd_write(1)", w_fd_write(1, P(iov), 1, P(&nw)));
		num("fd_close(1) again", w_fd_close(1));
		num("fd_fdstat_get(1)", w_fd_fdstat_get(1, P(buf)));
		return 0;
	}
	if (strcmp(m, "spin") == 0) {
		/* output first, then an endless loop: only the deadline (or a
		 * cancel) ends it, and what was written stays */
		say("spinning\n");
		for (;;)
			__asm__ volatile("");
	}
	if (strcmp(m, "exit") == 0 && argc > 2) {
		say("exiting\n");
		w_proc_exit((int32_t)atou(argv[2]));
	}

	/* The rest ends in a trap: "before\n" must be all that is kept. */
	say("before\n");
	if (strcmp(m, "iov_buf_oob") == 0) {
		iov[0] = top - 2;
		iov[1] = 4;
		w_fd_write(1, P(iov), 1, P(&nw));
	} else if (strcmp(m, "iov_buf_wrap") == 0) {
		iov[0] = 0xffffff00u;
		iov[1] = 0x200;
		w_fd_write(1, P(iov), 1, P(&nw));
	} else if (strcmp(m, "iov_array_oob") == 0) {
		w_fd_write(1, (int32_t)(top - 4), 1, P(&nw));
	} else if (strcmp(m, "iov_count_huge") == 0) {
		iov[0] = (uint32_t)P("LEAK");
		iov[1] = 4;
		w_fd_write(1, P(iov), 0x20000000, P(&nw));
	} else if (strcmp(m, "iov_count_max") == 0) {
		iov[0] = (uint32_t)P("LEAK");
		iov[1] = 4;
		w_fd_write(1, P(iov), -1, P(&nw));
	} else if (strcmp(m, "iov_second_oob") == 0) {
		/* the first iovec is fine, the second is not: nothing of
		 * the first may be written either */
		iov[0] = (uint32_t)P("LEAK");
		iov[1] = 4;
		iov[2] = top;
		iov[3] = 1;
		w_fd_write(1, P(iov), 2, P(&nw));
	} else if (strcmp(m, "nwritten_oob") == 0) {
		iov[0] = (uint32_t)P("LEAK");
		iov[1] = 4;
		w_fd_write(1, P(iov), 1, (int32_t)(top - 2));
	} else if (strcmp(m, "read_oob") == 0) {
		iov[0] = top - 10;
		iov[1] = 100;
		w_fd_read(0, P(iov), 1, P(&nw));
	} else if (strcmp(m, "read_nread_oob") == 0) {
		iov[0] = (uint32_t)P(buf);
		iov[1] = 8;
		w_fd_read(0, P(iov), 1, (int32_t)top);
	} else if (strcmp(m, "args_vec_end") == 0) {
		w_args_get((int32_t)(top - 4), P(buf));
	} else if (strcmp(m, "args_buf_end") == 0) {
		w_args_get(P(iov), (int32_t)(top - 1));
	} else if (strcmp(m, "args_sizes_end") == 0) {
		w_args_sizes_get((int32_t)(top - 2), P(buf));
	} else if (strcmp(m, "environ_vec_end") == 0) {
		w_environ_get((int32_t)(top - 2), P(buf));
	} else if (strcmp(m, "environ_buf_end") == 0) {
		w_environ_get(P(iov), (int32_t)(top - 3));
	} else if (strcmp(m, "random_huge") == 0) {
		w_random_get(0, -1);
	} else if (strcmp(m, "random_past_end") == 0) {
		w_random_get((int32_t)(top - 16), 17);
	} else if (strcmp(m, "clock_ptr_oob") == 0) {
		w_clock_time_get(1, 0, (int32_t)(top - 4));
	} else if (strcmp(m, "fdstat_oob") == 0) {
		w_fd_fdstat_get(1, (int32_t)(top - 8));
	}
	say("survived\n");
	return 0;
}
