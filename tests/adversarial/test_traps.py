#!/usr/bin/env python3
"""
Hostile guests that trap, loop or exhaust memory, against one kilnd whose
tenant may use 32 pages.  Every case asserts the exact final state, reason,
exit code and output bytes, then that the controller is unharmed (the same
api/core/launcher processes, and an ordinary hello job succeeds).
"""
import struct

import advlib as A
from advlib import K, eq

# Cases whose assertion states the right behaviour but the current daemon
# does not meet it yet: {case name: reason}.  They are reported XFAIL
# (and XPASS, which fails the test, once the daemon is fixed).
EXPECTED_FAIL = {}

CONF = {'max_output_bytes': 4096, 'max_log_bytes': 4096}
GO = b'go\n'
OK = b'ok\n'

# selector byte (the guest's stdin), case, what it attacks, outcome
TRAPS = [
    ('a', 'oob_store_past_end',
     'i32.store at 65536 in a 1-page memory: the first byte past the end',
     'FAILED', 'trap:oob', None, GO),
    ('b', 'oob_last_byte',
     'a load8 of the last byte succeeds; a 4-byte load starting 3 bytes '
     'before the end crosses it',
     'FAILED', 'trap:oob', None, GO + OK),
    ('c', 'oob_huge_offset',
     'i32.load with offset immediate 0xffffffff on address 1 (4 GiB past '
     'the base, inside the guard reservation)',
     'FAILED', 'trap:oob', None, GO),
    ('d', 'oob_max_effective_address',
     'i64.load offset=0xfffffff8 at address 0xfffffff8: the largest '
     'effective address wasm32 can form (8 GiB - 16)',
     'FAILED', 'trap:oob', None, GO),
    ('e', 'call_indirect_past_table',
     'call_indirect of element 7 of a 4-element table',
     'FAILED', 'trap:call_indirect', None, GO),
    ('f', 'call_indirect_null',
     'call_indirect of a null table element',
     'FAILED', 'trap:call_indirect', None, GO),
    ('g', 'call_indirect_signature',
     'call_indirect of a [] -> [] function as (i32) -> i32',
     'FAILED', 'trap:call_indirect', None, GO),
    ('h', 'unreachable', 'the unreachable instruction',
     'FAILED', 'trap:unreachable', None, GO),
    ('i', 'i32_div_by_zero', 'i32.div_u by zero',
     'FAILED', 'trap:div0', None, GO),
    ('j', 'i64_rem_by_zero', 'i64.rem_s by zero',
     'FAILED', 'trap:div0', None, GO),
    ('k', 'i32_int_min_div_minus_one', 'i32.div_s INT_MIN / -1',
     'FAILED', 'trap:int_overflow', None, GO),
    ('l', 'i64_int_min_div_minus_one', 'i64.div_s INT64_MIN / -1',
     'FAILED', 'trap:int_overflow', None, GO),
    ('m', 'int_min_rem_minus_one',
     'i32.rem_s INT_MIN % -1 is defined as 0: no trap',
     'SUCCEEDED', '', 0, GO + OK + b'after\n'),
    ('n', 'nan_to_int', 'i32.trunc_f32_s of NaN',
     'FAILED', 'trap:invalid_conversion', None, GO),
    ('o', 'float_to_int_overflow', 'i32.trunc_f64_s of 1e10',
     'FAILED', 'trap:int_overflow', None, GO),
    ('p', 'negative_to_unsigned', 'i64.trunc_f64_u of -1.0',
     'FAILED', 'trap:int_overflow', None, GO),
    ('q', 'saturating_nan', 'i32.trunc_sat_f32_s of NaN is 0: no trap',
     'SUCCEEDED', '', 0, GO + OK + b'after\n'),
    ('r', 'recursion_direct',
     'unbounded non-tail recursion: the native stack runs out',
     'FAILED', 'trap:stack', None, GO),
    ('s', 'recursion_call_indirect',
     'unbounded recursion through call_indirect',
     'FAILED', 'trap:stack', None, GO),
    ('t', 'oob_address_minus_one', 'i32.store8 at address 0xffffffff',
     'FAILED', 'trap:oob', None, GO),
    ('u', 'memory_fill_past_end', 'memory.fill of 1000 bytes at 65000',
     'FAILED', 'trap:oob', None, GO),
    ('v', 'memory_copy_from_past_end',
     'memory.copy of 100 bytes from 65500',
     'FAILED', 'trap:oob', None, GO),
    ('w', 'grow_past_declared_max',
     'memory.grow past the module\'s own maximum (1 page) answers -1',
     'SUCCEEDED', '', 0, GO + OK + b'after\n'),
    ('x', 'memory_init_past_end',
     'memory.init of a 4-byte passive segment at 65534',
     'FAILED', 'trap:oob', None, GO),
    ('y', 'memory_init_dropped',
     'memory.init of 1 byte from a segment after data.drop',
     'FAILED', 'trap:oob', None, GO),
    ('z', 'table_get_past_end', 'table.get of element 4 of 4',
     'FAILED', 'trap:oob', None, GO),
]


def test_traps():
    with K.Kilnd(tenants={'t0': {'max_pages': 32}}, gpus=2,
                 kilnd=CONF) as k:
        k.start()
        C = A.Cases(EXPECTED_FAIL)
        case = C.run
        u = A.Unharmed(k)
        traps = A.register_adv(k, 'traps')
        for sel, name, doc, state, reason, code, out in TRAPS:
            def one():
                j = A.run_job(k, traps, input=sel.encode(),
                              timeout_ms=20000)
                A.expect_job(k, j, state, reason, code, out, what=doc)
                u.check(name)
            case(name, one)

        def start_trap():
            """A trap inside the start function, during instantiation:
            trap:unreachable, only what the start function wrote kept."""
            j = A.run_job(k, A.register_adv(k, 'start_trap'))
            A.expect_job(k, j, 'FAILED', 'trap:unreachable', None,
                         b'start\n')
            u.check('start_trap')
        case('start_trap', start_trap)

        def start_exit():
            """proc_exit(7) inside the start function: FAILED, reason
            exit_code, exit code 7; the entry never runs."""
            j = A.run_job(k, A.register_adv(k, 'start_exit'))
            A.expect_job(k, j, 'FAILED', 'exit_code', 7, b'')
            u.check('start_exit')
        case('start_exit', start_exit)

        def data_oob():
            """A data segment 2 bytes past the end of memory: the
            instantiation traps (trap:oob); the entry never runs."""
            j = A.run_job(k, A.register_adv(k, 'data_oob'))
            A.expect_job(k, j, 'FAILED', 'trap:oob', None, b'')
            u.check('data_oob')
        case('data_oob', data_oob)

        def elem_oob():
            """An element segment past the end of its table: the
            instantiation traps (trap:oob); the entry never runs."""
            j = A.run_job(k, A.register_adv(k, 'elem_oob'))
            A.expect_job(k, j, 'FAILED', 'trap:oob', None, b'')
            u.check('elem_oob')
        case('elem_oob', elem_oob)

        def deep_import():
            """Unbounded recursion calling fd_write, random_get or
            clock_time_get at every level: the stack may run out inside
            host code; still trap:stack, nothing written."""
            d = A.register_adv(k, 'deep_import')
            for sel in 'wrc':
                j = A.run_job(k, d, input=sel.encode(), timeout_ms=20000)
                A.expect_job(k, j, 'FAILED', 'trap:stack', None, b'',
                             what='import %r' % sel)
                u.check('deep_import ' + sel)
        case('deep_import', deep_import)

        def grow_then_access():
            """memory.grow until the 32-page quota answers -1 (and absurd
            grows answer -1 too), then a store one byte past the end:
            trap:oob after the guest printed [32, -1, -1]."""
            j = A.run_job(k, A.register_adv(k, 'grow_oob'))
            A.expect_job(k, j, 'FAILED', 'trap:oob', None,
                         struct.pack('<Iii', 32, -1, -1))
            u.check('grow_then_access')
        case('grow_then_access', grow_then_access)

        def table_bomb():
            """A 2^20 + 1 element table: over the runtime's table cap,
            memory_limit at instantiation."""
            j = A.run_job(k, A.register_adv(k, 'table_bomb'))
            A.expect_job(k, j, 'FAILED', 'memory_limit', None)
            u.check('table_bomb')
        case('table_bomb', table_bomb)

        def infinite_loop():
            """An endless loop with timeout_ms 200: TIMED_OUT, reason
            timeout, no exit code, and the worker is gone (the launcher
            has no children left) once the state is visible."""
            launcher = k.kids()['launcher']
            j = A.run_job(k, A.register_adv(k, 'spin'), timeout_ms=200)
            A.expect_job(k, j, 'TIMED_OUT', 'timeout', None)
            eq(K.children(launcher), [], 'launcher children')
            u.check('infinite_loop')
        case('infinite_loop', infinite_loop)
        k.stop()
    C.done()


if __name__ == '__main__':
    K.main(globals())
