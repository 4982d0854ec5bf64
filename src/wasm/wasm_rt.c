/*
 * Kiln's own implementation of the runtime that wasm2c-generated modules
 * link against: every function /usr/include/wasm-rt.h (wabt 1.0.32)
 * declares.  It owns the trap path (siglongjmp to the one try point run.c
 * arms), the function-type registry, linear memories in guard-page mode
 * (an 8 GiB PROT_NONE reservation per memory, the used part read-write,
 * the whole reservation unmapped on free) clamped to the job's page quota,
 * funcref and externref tables, the exception hooks, and the SIGSEGV/SIGBUS
 * handler on an alternate stack that turns a fault inside a guest
 * reservation into an OOB trap and a fault on the native stack into an
 * exhaustion trap.  Any other fault is a host bug and kills the process.
 * All state is process-global: one single-threaded guest per process.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kiln/util.h"
#include "wasm_int.h"

#if !WASM_RT_MEMCHECK_SIGNAL_HANDLER
#error "kiln's runtime is built in guard-page mode only"
#endif

/* Faults this far below the lowest stack address still count as overflow. */
#define RT_STACK_SLACK		((uintptr_t)1 << 20)
#define RT_ALTSTACK_BYTES	((size_t)64 * 1024)
#define RT_MEMORIES_MAX		64
#define RT_EXCEPTION_MAX	256

/*
 * Referenced only by modules built in bounds-check mode; defined so that
 * such a module loads far enough to be refused by its mode constant.
 */
uint32_t wasm_rt_call_stack_depth;

sigjmp_buf wasm_rt_jmpbuf;
volatile sig_atomic_t wasm_rt_armed;

static volatile sig_atomic_t rt_code;
static int rt_initialized;
static uint32_t rt_quota_pages = WASM_RT_PAGES_MAX;

/* Live reservations, read by the fault handler. */
static uint8_t *volatile rt_memories[RT_MEMORIES_MAX];
static size_t rt_memories_live;

static uint64_t rt_table_elems;	/* elements in all live tables */

static void *rt_altstack;
static size_t rt_altstack_len;
static uintptr_t rt_stack_lo, rt_stack_hi;
static struct sigaction rt_old_segv, rt_old_bus;

struct rt_functype {
	uint32_t params;
	uint32_t results;
	wasm_rt_type_t *types;	/* params, then results */
};
static struct rt_functype *rt_types;
static uint32_t rt_ntypes;

static uint32_t rt_ntags;
static uint32_t rt_exc_tag;
static uint32_t rt_exc_size;
static uint8_t rt_exc_data[RT_EXCEPTION_MAX];
static WASM_RT_UNWIND_TARGET *rt_unwind_target;

void
wasm_rt_unwind(int code)
{
	if (!wasm_rt_armed)
		abort();
	rt_code = code;
	siglongjmp(wasm_rt_jmpbuf, code);
}

int
wasm_rt_code_get(void)
{
	return rt_code;
}

void
wasm_rt_code_reset(void)
{
	rt_code = 0;
}

void
wasm_rt_trap(wasm_rt_trap_t code)
{
	wasm_rt_unwind((int)code);
}

const char *
wasm_rt_strerror(wasm_rt_trap_t trap)
{
	switch (trap) {
	case WASM_RT_TRAP_NONE:
		return "no error";
	case WASM_RT_TRAP_OOB:
		return "out-of-bounds access";
	case WASM_RT_TRAP_INT_OVERFLOW:
		return "integer overflow";
	case WASM_RT_TRAP_DIV_BY_ZERO:
		return "integer divide by zero";
	case WASM_RT_TRAP_INVALID_CONVERSION:
		return "invalid conversion to integer";
	case WASM_RT_TRAP_UNREACHABLE:
		return "unreachable executed";
	case WASM_RT_TRAP_CALL_INDIRECT:
		return "invalid call_indirect";
	case WASM_RT_TRAP_UNCAUGHT_EXCEPTION:
		return "uncaught exception";
	case WASM_RT_TRAP_EXHAUSTION:
		return "call stack exhausted";
	}
	return "unknown trap";
}

static int
rt_in_memory(uintptr_t a)
{
	size_t i;

	for (i = 0; i < RT_MEMORIES_MAX; i++) {
		uintptr_t base = (uintptr_t)rt_memories[i];

		if (base != 0 && a - base < WASM_RT_RESERVE_BYTES)
			return 1;
	}
	return 0;
}

static void
rt_fault(int sig, siginfo_t *si, void *uctx)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	struct sigaction dfl;

	(void)uctx;
	/* si_code <= 0: sent by a process, not raised by an access. */
	if (wasm_rt_armed && si->si_code > 0) {
		if (sig == SIGSEGV && rt_in_memory(a))
			wasm_rt_trap(WASM_RT_TRAP_OOB);
		if (rt_stack_hi != 0 && a < rt_stack_hi &&
		    a + RT_STACK_SLACK >= rt_stack_lo)
			wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
	}
	/* A host bug: never dress it up as a trap.  Die of the signal. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

static void
rt_stack_bounds(void)
{
	pthread_attr_t attr;
	void *addr;
	size_t len;

	rt_stack_lo = rt_stack_hi = 0;
	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return;
	if (pthread_attr_getstack(&attr, &addr, &len) == 0) {
		rt_stack_lo = (uintptr_t)addr;
		rt_stack_hi = (uintptr_t)addr + len;
	}
	pthread_attr_destroy(&attr);
}

void
wasm_rt_init(void)
{
	struct sigaction sa;
	stack_t ss;
	long min;

	if (rt_initialized)
		return;
	rt_stack_bounds();

	min = sysconf(_SC_SIGSTKSZ);
	rt_altstack_len = RT_ALTSTACK_BYTES;
	if (min > 0 && (size_t)min > rt_altstack_len)
		rt_altstack_len = (size_t)min;
	rt_altstack = mmap(NULL, rt_altstack_len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rt_altstack == MAP_FAILED)
		log_fatal("wasm_rt_init: alternate stack");
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = rt_altstack;
	ss.ss_size = rt_altstack_len;
	if (sigaltstack(&ss, NULL) == -1)
		log_fatal("wasm_rt_init: sigaltstack");

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = rt_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &rt_old_segv) == -1 ||
	    sigaction(SIGBUS, &sa, &rt_old_bus) == -1)
		log_fatal("wasm_rt_init: sigaction");
	rt_initialized = 1;
}

bool
wasm_rt_is_initialized(void)
{
	return rt_initialized != 0;
}

void
wasm_rt_free(void)
{
	stack_t ss;
	uint32_t i;

	if (!rt_initialized)
		return;
	sigaction(SIGSEGV, &rt_old_segv, NULL);
	sigaction(SIGBUS, &rt_old_bus, NULL);
	memset(&ss, 0, sizeof(ss));
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	munmap(rt_altstack, rt_altstack_len);
	rt_altstack = NULL;

	for (i = 0; i < rt_ntypes; i++)
		free(rt_types[i].types);
	free(rt_types);
	rt_types = NULL;
	rt_ntypes = 0;
	rt_ntags = 0;
	rt_unwind_target = NULL;
	rt_initialized = 0;
}

uint32_t
wasm_rt_register_func_type(uint32_t params, uint32_t results, ...)
{
	wasm_rt_type_t *types;
	uint64_t n = (uint64_t)params + results;
	va_list ap;
	uint32_t i;

	types = xcalloc(n, sizeof(*types));
	va_start(ap, results);
	for (i = 0; i < n; i++)
		types[i] = va_arg(ap, wasm_rt_type_t);
	va_end(ap);

	for (i = 0; i < rt_ntypes; i++) {
		if (rt_types[i].params == params &&
		    rt_types[i].results == results &&
		    (n == 0 || memcmp(rt_types[i].types, types,
		    n * sizeof(*types)) == 0)) {
			free(types);
			return i + 1;
		}
	}
	rt_types = xrealloc(rt_types, (rt_ntypes + 1) * sizeof(*rt_types));
	rt_types[rt_ntypes].params = params;
	rt_types[rt_ntypes].results = results;
	rt_types[rt_ntypes].types = types;
	/* Indices start at 1: 0 is the type of the null funcref. */
	return ++rt_ntypes;
}

uint32_t
wasm_rt_register_tag(uint32_t size)
{
	(void)size;
	return rt_ntags++;
}

void
wasm_rt_load_exception(uint32_t tag, uint32_t size, const void *values)
{
	if (size > RT_EXCEPTION_MAX)
		wasm_rt_trap(WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
	rt_exc_tag = tag;
	rt_exc_size = size;
	if (size > 0)
		memcpy(rt_exc_data, values, size);
}

void
wasm_rt_throw(void)
{
	if (rt_unwind_target == NULL)
		wasm_rt_trap(WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
	siglongjmp(*rt_unwind_target, WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
}

WASM_RT_UNWIND_TARGET *
wasm_rt_get_unwind_target(void)
{
	return rt_unwind_target;
}

void
wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET *target)
{
	rt_unwind_target = target;
}

uint32_t
wasm_rt_exception_tag(void)
{
	return rt_exc_tag;
}

uint32_t
wasm_rt_exception_size(void)
{
	return rt_exc_size;
}

void *
wasm_rt_exception(void)
{
	return rt_exc_data;
}

void
wasm_rt_quota_set(uint32_t max_pages)
{
	rt_quota_pages = max_pages < WASM_RT_PAGES_MAX ? max_pages :
	    WASM_RT_PAGES_MAX;
}

uint32_t
wasm_rt_quota_get(void)
{
	return rt_quota_pages;
}

size_t
wasm_rt_memory_live(void)
{
	return rt_memories_live;
}

void
wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint32_t initial_pages,
    uint32_t max_pages)
{
	size_t used = (size_t)initial_pages * WASM_PAGE_SIZE;
	uint8_t *base;
	size_t slot;

	memset(mem, 0, sizeof(*mem));
	if (max_pages > rt_quota_pages)
		max_pages = rt_quota_pages;
	if (initial_pages > max_pages)
		wasm_rt_unwind(WASM_UNWIND_QUOTA);
	for (slot = 0; slot < RT_MEMORIES_MAX; slot++)
		if (rt_memories[slot] == NULL)
			break;
	if (slot == RT_MEMORIES_MAX)
		wasm_rt_unwind(WASM_UNWIND_QUOTA);

	base = mmap(NULL, WASM_RT_RESERVE_BYTES, PROT_NONE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		wasm_rt_unwind(WASM_UNWIND_QUOTA);
	if (used > 0 && mprotect(base, used, PROT_READ | PROT_WRITE) == -1) {
		munmap(base, WASM_RT_RESERVE_BYTES);
		wasm_rt_unwind(WASM_UNWIND_QUOTA);
	}
	rt_memories[slot] = base;
	rt_memories_live++;
	mem->data = base;
	mem->pages = initial_pages;
	mem->max_pages = max_pages;
	mem->size = (uint32_t)used;
}

uint32_t
wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint32_t delta)
{
	uint32_t old = mem->pages;
	uint64_t want = (uint64_t)old + delta;

	if (delta == 0)
		return old;
	if (mem->data == NULL || want > mem->max_pages ||
	    want > rt_quota_pages)
		return UINT32_MAX;
	if (mprotect(mem->data + (size_t)old * WASM_PAGE_SIZE,
	    (size_t)delta * WASM_PAGE_SIZE, PROT_READ | PROT_WRITE) == -1)
		return UINT32_MAX;
	mem->pages = (uint32_t)want;
	mem->size = (uint32_t)(want * WASM_PAGE_SIZE);
	return old;
}

void
wasm_rt_free_memory(wasm_rt_memory_t *mem)
{
	size_t slot;

	if (mem->data == NULL)
		return;
	for (slot = 0; slot < RT_MEMORIES_MAX; slot++) {
		if (rt_memories[slot] == mem->data) {
			rt_memories[slot] = NULL;
			rt_memories_live--;
			break;
		}
	}
	/* The whole reservation, not just the used part. */
	munmap(mem->data, WASM_RT_RESERVE_BYTES);
	memset(mem, 0, sizeof(*mem));
}

/*
 * Tables share one element budget; over it the guest is ended with
 * WASM_UNWIND_QUOTA at instantiation and table.grow fails later.
 */
static uint32_t
rt_table_reserve(uint32_t elements, uint32_t *max_elements)
{
	if (*max_elements > WASM_RT_TABLE_MAX)
		*max_elements = WASM_RT_TABLE_MAX;
	if (elements > *max_elements ||
	    rt_table_elems + elements > WASM_RT_TABLE_TOTAL_MAX)
		wasm_rt_unwind(WASM_UNWIND_QUOTA);
	rt_table_elems += elements;
	return elements;
}

static int
rt_table_grow_ok(uint32_t size, uint32_t max_size, uint32_t delta)
{
	uint64_t want = (uint64_t)size + delta;

	return want <= max_size &&
	    rt_table_elems + delta <= WASM_RT_TABLE_TOTAL_MAX;
}

void
wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *table,
    uint32_t elements, uint32_t max_elements)
{
	memset(table, 0, sizeof(*table));
	rt_table_reserve(elements, &max_elements);
	/* All-zero is wasm_rt_funcref_null_value. */
	table->data = xcalloc(elements, sizeof(*table->data));
	table->size = elements;
	table->max_size = max_elements;
}

void
wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *table)
{
	if (table->data != NULL)
		rt_table_elems -= table->size;
	free(table->data);
	memset(table, 0, sizeof(*table));
}

uint32_t
wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *table, uint32_t delta,
    wasm_rt_funcref_t init)
{
	uint32_t old = table->size, i;

	if (delta == 0)
		return old;
	if (table->data == NULL ||
	    !rt_table_grow_ok(table->size, table->max_size, delta))
		return UINT32_MAX;
	table->data = xrealloc(table->data,
	    ((size_t)old + delta) * sizeof(*table->data));
	for (i = 0; i < delta; i++)
		table->data[old + i] = init;
	table->size = old + delta;
	rt_table_elems += delta;
	return old;
}

void
wasm_rt_allocate_externref_table(wasm_rt_externref_table_t *table,
    uint32_t elements, uint32_t max_elements)
{
	memset(table, 0, sizeof(*table));
	rt_table_reserve(elements, &max_elements);
	table->data = xcalloc(elements, sizeof(*table->data));
	table->size = elements;
	table->max_size = max_elements;
}

void
wasm_rt_free_externref_table(wasm_rt_externref_table_t *table)
{
	if (table->data != NULL)
		rt_table_elems -= table->size;
	free(table->data);
	memset(table, 0, sizeof(*table));
}

uint32_t
wasm_rt_grow_externref_table(wasm_rt_externref_table_t *table,
    uint32_t delta, wasm_rt_externref_t init)
{
	uint32_t old = table->size, i;

	if (delta == 0)
		return old;
	if (table->data == NULL ||
	    !rt_table_grow_ok(table->size, table->max_size, delta))
		return UINT32_MAX;
	table->data = xrealloc(table->data,
	    ((size_t)old + delta) * sizeof(*table->data));
	for (i = 0; i < delta; i++)
		table->data[old + i] = init;
	table->size = old + delta;
	rt_table_elems += delta;
	return old;
}
