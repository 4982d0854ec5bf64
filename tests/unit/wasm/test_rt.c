/*
 * Unit tests of src/wasm/wasm_rt.c called directly, without a compiled
 * module: the function-type registry, memories (quota clamp, grow, the
 * guard region, release), tables, exceptions, and how faults and traps
 * outside an armed try point end the process.  Anything that may trap or
 * installs the signal handler runs in a fork()ed child that reports by its
 * exit status.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln/util.h"
#include "kiln/wasm.h"
#include "../../../src/wasm/wasm_int.h"

/* In a child: report the failing line on stderr and exit 1. */
#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__,		\
		    __LINE__, #x);					\
		_exit(1);						\
	}								\
} while (0)

/* Runs fn in a child with the runtime initialised; its wait status. */
static int
in_child(void (*fn)(void))
{
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		wasm_runtime_init();
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void
expect_exit0(void (*fn)(void))
{
	int status = in_child(fn);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
expect_signal(void (*fn)(void), int sig)
{
	int status = in_child(fn);

	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), sig);
}

/*
 * Calls fn under the try point; returns 0 or the code it ended with.
 * fn must not rely on locals surviving a trap.
 */
static int
guarded(void (*fn)(void *), void *arg)
{
	wasm_rt_code_reset();
	wasm_rt_armed = 1;
	if (wasm_rt_try(wasm_rt_jmpbuf) == 0)
		fn(arg);
	wasm_rt_armed = 0;
	return wasm_rt_code_get();
}

static void
test_func_types(void **state)
{
	uint32_t a, b, c, d;

	(void)state;
	a = wasm_rt_register_func_type(2, 1, WASM_RT_I32, WASM_RT_F32,
	    WASM_RT_I64);
	b = wasm_rt_register_func_type(0, 1, WASM_RT_I32);
	c = wasm_rt_register_func_type(2, 1, WASM_RT_I32, WASM_RT_F32,
	    WASM_RT_I64);
	d = wasm_rt_register_func_type(0, 0);
	assert_int_not_equal(a, 0);
	assert_int_not_equal(b, 0);
	assert_int_not_equal(d, 0);
	assert_int_equal(a, c);
	assert_int_not_equal(a, b);
	assert_int_not_equal(b, d);
	assert_int_equal(wasm_rt_register_func_type(1, 0, WASM_RT_I32),
	    wasm_rt_register_func_type(1, 0, WASM_RT_I32));
	assert_int_not_equal(wasm_rt_register_func_type(1, 0, WASM_RT_I32),
	    wasm_rt_register_func_type(1, 0, WASM_RT_I64));
}

static void
test_strerror(void **state)
{
	(void)state;
	assert_string_equal(wasm_rt_strerror(WASM_RT_TRAP_OOB),
	    "out-of-bounds access");
	assert_string_equal(wasm_rt_strerror(WASM_RT_TRAP_EXHAUSTION),
	    "call stack exhausted");
	assert_string_equal(wasm_rt_strerror(WASM_RT_TRAP_DIV_BY_ZERO),
	    "integer divide by zero");
}

static wasm_rt_memory_t g_mem;
static uint32_t g_pages;

static void
alloc_mem(void *arg)
{
	(void)arg;
	wasm_rt_allocate_memory(&g_mem, g_pages, 65536);
}

static void
touch_end(void *arg)
{
	volatile uint8_t *p = g_mem.data + g_mem.size + (uintptr_t)arg;

	*p = 1;
}

static void
child_memory(void)
{
	wasm_rt_quota_set(10);
	g_pages = 2;
	CHECK(guarded(alloc_mem, NULL) == 0);
	CHECK(wasm_rt_memory_live() == 1);
	CHECK(g_mem.pages == 2);
	CHECK(g_mem.max_pages == 10);	/* clamped from 65536 */
	CHECK(g_mem.size == 2 * WASM_PAGE_SIZE);
	CHECK(g_mem.data[0] == 0 && g_mem.data[g_mem.size - 1] == 0);
	g_mem.data[g_mem.size - 1] = 7;

	/* Just past the end, and far into the reservation: OOB traps. */
	CHECK(guarded(touch_end, (void *)0) == WASM_RT_TRAP_OOB);
	CHECK(guarded(touch_end, (void *)((uintptr_t)6 << 30)) ==
	    WASM_RT_TRAP_OOB);

	CHECK(wasm_rt_grow_memory(&g_mem, 0) == 2);
	CHECK(wasm_rt_grow_memory(&g_mem, 8) == 2);
	CHECK(g_mem.pages == 10 && g_mem.size == 10 * WASM_PAGE_SIZE);
	CHECK(g_mem.data[2 * WASM_PAGE_SIZE - 1] == 7);
	CHECK(g_mem.data[10 * WASM_PAGE_SIZE - 1] == 0);
	CHECK(wasm_rt_grow_memory(&g_mem, 1) == UINT32_MAX);
	CHECK(wasm_rt_grow_memory(&g_mem, UINT32_MAX) == UINT32_MAX);
	CHECK(g_mem.pages == 10);
	wasm_rt_free_memory(&g_mem);
	CHECK(g_mem.data == NULL && wasm_rt_memory_live() == 0);
	wasm_rt_free_memory(&g_mem);	/* twice is harmless */

	/* Initial over the quota: ended with the quota code. */
	g_pages = 11;
	CHECK(guarded(alloc_mem, NULL) == WASM_UNWIND_QUOTA);
	CHECK(wasm_rt_memory_live() == 0);
	/* The quota never exceeds what wasm_rt_memory_t can describe. */
	wasm_rt_quota_set(UINT32_MAX);
	CHECK(wasm_rt_quota_get() == WASM_RT_PAGES_MAX);
	g_pages = 0;
	CHECK(guarded(alloc_mem, NULL) == 0);
	CHECK(g_mem.max_pages == WASM_RT_PAGES_MAX && g_mem.size == 0);
	CHECK(guarded(touch_end, (void *)0) == WASM_RT_TRAP_OOB);
	wasm_rt_free_memory(&g_mem);
}

static void
test_memory(void **state)
{
	(void)state;
	expect_exit0(child_memory);
}

static void
null_write(void *arg)
{
	volatile int *p = arg;

	*p = 1;
}

/* A host fault while armed is not a guest trap: the process dies. */
static void
child_host_fault(void)
{
	(void)guarded(null_write, NULL);
	_exit(3);
}

static void
child_trap_unarmed(void)
{
	wasm_rt_trap(WASM_RT_TRAP_OOB);
}

static void
child_fault_unarmed(void)
{
	wasm_rt_quota_set(1);
	g_pages = 1;
	CHECK(guarded(alloc_mem, NULL) == 0);
	/* Guest memory, but nobody is running a guest. */
	g_mem.data[g_mem.size] = 1;
	_exit(3);
}

static void
test_not_a_trap(void **state)
{
	(void)state;
	expect_signal(child_host_fault, SIGSEGV);
	expect_signal(child_trap_unarmed, SIGABRT);
	expect_signal(child_fault_unarmed, SIGSEGV);
}

static wasm_rt_funcref_table_t g_ft;
static wasm_rt_externref_table_t g_et;
static uint32_t g_elems, g_max;

static void
alloc_tables(void *arg)
{
	(void)arg;
	wasm_rt_allocate_funcref_table(&g_ft, g_elems, g_max);
	wasm_rt_allocate_externref_table(&g_et, g_elems, g_max);
}

static void
child_tables(void)
{
	wasm_rt_funcref_t f = { 3, (wasm_rt_function_ptr_t)child_tables,
	    NULL };
	int x;

	g_elems = 2;
	g_max = 4;
	CHECK(guarded(alloc_tables, NULL) == 0);
	CHECK(g_ft.size == 2 && g_ft.max_size == 4);
	CHECK(g_ft.data[1].func == NULL && g_ft.data[1].func_type == 0);
	CHECK(wasm_rt_grow_funcref_table(&g_ft, 2, f) == 2);
	CHECK(g_ft.size == 4 && g_ft.data[3].func_type == 3);
	CHECK(wasm_rt_grow_funcref_table(&g_ft, 1, f) == UINT32_MAX);
	CHECK(wasm_rt_grow_externref_table(&g_et, 1, &x) == 2);
	CHECK(g_et.data[2] == &x && g_et.data[0] == NULL);
	CHECK(wasm_rt_grow_externref_table(&g_et, 2, &x) == UINT32_MAX);
	wasm_rt_free_funcref_table(&g_ft);
	wasm_rt_free_externref_table(&g_et);

	/* An unbounded table is clamped; one over the cap is refused. */
	g_elems = 0;
	g_max = UINT32_MAX;
	CHECK(guarded(alloc_tables, NULL) == 0);
	CHECK(g_ft.max_size == WASM_RT_TABLE_MAX);
	CHECK(wasm_rt_grow_funcref_table(&g_ft, WASM_RT_TABLE_MAX + 1, f) ==
	    UINT32_MAX);
	wasm_rt_free_funcref_table(&g_ft);
	wasm_rt_free_externref_table(&g_et);
	g_elems = WASM_RT_TABLE_MAX + 1;
	CHECK(guarded(alloc_tables, NULL) == WASM_UNWIND_QUOTA);
}

static void
test_tables(void **state)
{
	(void)state;
	expect_exit0(child_tables);
}

static void
throw_it(void *arg)
{
	(void)arg;
	wasm_rt_throw();
}

static void
child_exceptions(void)
{
	WASM_RT_UNWIND_TARGET target;
	uint32_t tag = wasm_rt_register_tag(4);
	uint32_t v = 0xdeadbeef;

	CHECK(wasm_rt_register_tag(8) != tag);
	wasm_rt_load_exception(tag, sizeof(v), &v);
	CHECK(wasm_rt_exception_tag() == tag);
	CHECK(wasm_rt_exception_size() == 4);
	CHECK(memcmp(wasm_rt_exception(), &v, 4) == 0);
	/* Nobody catches: the guest traps. */
	CHECK(guarded(throw_it, NULL) == WASM_RT_TRAP_UNCAUGHT_EXCEPTION);

	wasm_rt_set_unwind_target(&target);
	CHECK(wasm_rt_get_unwind_target() == &target);
	if (wasm_rt_try(target) == 0) {
		wasm_rt_throw();
		CHECK(0);
	}
	wasm_rt_set_unwind_target(NULL);
}

static void
test_exceptions(void **state)
{
	(void)state;
	expect_exit0(child_exceptions);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_func_types),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_not_a_trap),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_exceptions),
	};

	return cmocka_run_group_tests_name("wasm_rt", tests, NULL, NULL);
}
