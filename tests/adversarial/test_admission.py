#!/usr/bin/env python3
"""
Hostile modules at admission (POST /v1/modules), against one kilnd: each
must be refused with the exact status, problem type and detail (a prefix
and a pattern where the detail comes from wasm-validate), must not be
registered afterwards (a job naming it is 422 unknown_module), and the
controller must stay unharmed (same processes, a hello job succeeds).
"""
import re

import advlib as A
from advlib import K, eq, leb, name, section, vec, module, func_import, \
    HEADER, FT_VOID

# Cases whose assertion states the right behaviour but the current daemon
# does not meet it yet: {case name: reason}.
EXPECTED_FAIL = {}

W = 'wasi_snapshot_preview1'
MEM_EXPORT = name('memory') + b'\x02\x00'
RUN_EXPORT = name('run') + b'\x00\x00'



def one_func(body, extra=b''):
    """A module whose "run" has this body (locals included), then extra
    bytes (more sections) at the end."""
    return (HEADER + section(1, vec([FT_VOID])) + section(3, vec([b'\x00']))
            + section(5, vec([b'\x00\x01'])) +
            section(7, vec([MEM_EXPORT, RUN_EXPORT])) +
            section(10, vec([leb(len(body)) + body])) + extra)


# a "name" custom section whose module and function names are C
# injections; wasm2c runs with --no-debug-names, so they must not matter
HOSTILE_NAMES = section(0, name('name') + b'\x00' + name(name(
    '*/ system("id"); /*')) + b'\x01' + name(vec([b'\x00' + name(
        'main); } int system')])))


# name, docstring, module bytes, problem type, exact detail (str) or a
# compiled pattern the whole detail must match
CASES = [
    ('mem_over_quota',
     'initial memory one page over the tenant\'s max_pages (32)',
     A.adv_bytes('mem_over_quota'), 'memory_quota',
     'initial memory of 33 pages exceeds the quota of 32 pages'),
    ('mem_65536_pages',
     '65536 initial pages (4 GiB) for a 32-page tenant',
     A.adv_bytes('mem_max'), 'memory_quota',
     'initial memory of 65536 pages exceeds the quota of 32 pages'),
    ('mem_65537_pages',
     'initial memory above the wasm32 limit of 65536 pages',
     module(memory=b'\x00' + leb(65537)), 'invalid_module',
     'malformed module: bad memory limits at offset 25'),
    ('mem_shared',
     'a shared memory (limits flag 0x03)',
     module(memory=b'\x03\x01\x01'), 'invalid_module',
     'unsupported memory limits flags 0x03'),
    ('mem_64bit',
     'a 64-bit memory (limits flag 0x04)',
     module(memory=b'\x04\x01'), 'invalid_module',
     'unsupported memory limits flags 0x04'),
    ('import_env_system',
     'import "env"."system": libc\'s system() by name',
     module(imports=[func_import('env', 'system', 1)],
            types=(FT_VOID, b'\x60\x01\x7f\x01\x7f')),
     'forbidden_import', 'import "env"."system" is not granted'),
    ('import_env_printf',
     'import "env"."printf"',
     module(imports=[func_import('env', 'printf', 1)],
            types=(FT_VOID, b'\x60\x02\x7f\x7f\x01\x7f')),
     'forbidden_import', 'import "env"."printf" is not granted'),
    ('import_host_symbol',
     'import of a host symbol by its mangled C name',
     module(imports=[func_import(W, 'Z_wasi_snapshot_preview1Z_fd_write')]),
     'forbidden_import',
     'import "wasi_snapshot_preview1"."Z_wasi_snapshot_preview1Z_fd_write" '
     'is not granted'),
    ('import_path_open_nul',
     '"path_open\\0": a granted name with a trailing NUL',
     module(imports=[func_import(W, 'path_open\0')]),
     'forbidden_import',
     'import "wasi_snapshot_preview1"."path_open\\x00" is not granted'),
    ('import_path_open_case',
     '"PATH_OPEN": a granted name in another case',
     module(imports=[func_import(W, 'PATH_OPEN')]),
     'forbidden_import',
     'import "wasi_snapshot_preview1"."PATH_OPEN" is not granted'),
    ('import_path_open_space',
     '"path_open " with a trailing space',
     module(imports=[func_import(W, 'path_open ')]),
     'forbidden_import',
     'import "wasi_snapshot_preview1"."path_open " is not granted'),
    ('import_path_open_wrong_type',
     'the right name with a type of our choosing ([] -> [])',
     module(imports=[func_import(W, 'path_open')]),
     'forbidden_import',
     'import "wasi_snapshot_preview1"."path_open" has the wrong type'),
    ('import_module_nul',
     'module name "wasi_snapshot_preview1\\0"',
     module(imports=[func_import(W + '\0', 'fd_write')]),
     'forbidden_import',
     'import "wasi_snapshot_preview1\\x00"."fd_write" is not granted'),
    ('import_module_odd_chars',
     'module name with quotes, a backslash, a newline and path parts',
     module(imports=[func_import('../"env"\\\n', 'system')]),
     'forbidden_import',
     'import "../\\x22env\\x22\\x5c\\x0a"."system" is not granted'),
    ('import_module_unstable',
     'the older "wasi_unstable" module name',
     module(imports=[func_import('wasi_unstable', 'fd_write')]),
     'forbidden_import',
     'import "wasi_unstable"."fd_write" is not granted'),
    ('import_module_empty',
     'empty module and field names',
     module(imports=[func_import('', '')]),
     'forbidden_import', 'import ""."" is not granted'),
    ('import_memory',
     'an import of a memory from the host',
     HEADER + section(1, vec([FT_VOID])) + section(2, vec([
         name(W) + name('memory') + b'\x02\x00\x01'])),
     'forbidden_import',
     'import "wasi_snapshot_preview1"."memory" is not granted'),
    ('import_table',
     'an import of a table from the host',
     HEADER + section(1, vec([FT_VOID])) + section(2, vec([
         name('env') + name('__indirect_function_table') +
         b'\x01\x70\x00\x01'])),
     'forbidden_import',
     'import "env"."__indirect_function_table" is not granted'),
    ('import_global',
     'an import of a global from the host',
     HEADER + section(1, vec([FT_VOID])) + section(2, vec([
         name('env') + name('__stack_pointer') + b'\x03\x7f\x01'])),
     'forbidden_import', 'import "env"."__stack_pointer" is not granted'),
    ('import_name_long',
     'a 300-byte import name: quoted up to 64 bytes',
     module(imports=[func_import(W, 'x' * 300)]), 'forbidden_import',
     'import "wasi_snapshot_preview1"."%s..." is not granted' % ('x' * 64)),
    ('import_name_binary',
     'an import name that is binary garbage (not UTF-8)',
     module(imports=[name(W) + name(b'\xff\xfe\x00\xc0\x80') +
                     b'\x00\x00']),
     'invalid_module', 'malformed module: bad import name at offset 46'),
    ('import_name_control_chars',
     'an import name of control characters (valid UTF-8): escaped',
     module(imports=[func_import(W, '\x01\x1b[2J\x7f')]),
     'forbidden_import',
     'import "wasi_snapshot_preview1"."\\x01\\x1b[2J\\x7f" is not granted'),
    ('import_name_length_lie',
     'an import name whose length runs past the end of the module',
     HEADER + section(1, vec([FT_VOID])) + section(
         2, b'\x01' + leb(1000) + b'wasi'),
     'invalid_module', 'malformed module: bad import name at offset 19'),
    ('export_name_binary',
     'an export name that is binary garbage (not UTF-8)',
     module(exports=[MEM_EXPORT, RUN_EXPORT,
                     name(b'\xff\xfe') + b'\x00\x00']),
     'invalid_module', 'malformed module: bad export name at offset 44'),
    ('export_duplicate',
     'two exports named "run"',
     module(exports=[MEM_EXPORT, RUN_EXPORT, RUN_EXPORT]),
     'invalid_module', re.compile(
         r'.*[0-9a-f]{7}: error: duplicate export "run"')),
    ('bad_magic', 'bytes that are neither WebAssembly nor ELF',
     b'MZ\x90\x00\x03\x00\x00\x00' + b'\0' * 56, 'invalid_module',
     'not a WebAssembly module (bad magic)'),
    ('elf_not_native', 'an ELF header from a tenant without native = true',
     b'\x7fELF\x02\x01\x01\x00' + b'\0' * 56, 'native_forbidden',
     'tenant t0 may not register native executables'),
    ('empty_body', 'an empty module body', b'', 'invalid_module',
     'not a WebAssembly module (bad magic)'),
    ('truncated_header', 'the magic and half a version',
     b'\0asm\1\0', 'invalid_module', 'malformed module: truncated header'),
    ('version_2', 'binary format version 2',
     b'\0asm\2\0\0\0', 'invalid_module',
     'unsupported WebAssembly version 2'),
    ('truncated_section',
     'a valid module cut one byte short (inside the code section)',
     module()[:-1], 'invalid_module',
     'malformed module: code section extends past the end'),
    ('section_length_overflow',
     'a type section claiming 0xffffffff bytes',
     HEADER + b'\x01\xff\xff\xff\xff\x0f\x01\x60\x00\x00',
     'invalid_module',
     'malformed module: type section extends past the end'),
    ('section_length_leb_too_long',
     'a section length LEB128 with more than 32 bits',
     HEADER + b'\x01\xff\xff\xff\xff\x7f', 'invalid_module',
     'malformed module: truncated section header at offset 14'),
    ('unknown_section', 'section id 13',
     HEADER + b'\x0d\x00', 'invalid_module', 'unknown section id 13'),
    ('sections_out_of_order', 'a type section after the import section',
     HEADER + section(2, vec([])) + section(1, vec([])),
     'invalid_module', 'type section out of order or repeated'),
    ('type_count_huge', 'a type count of 2^32 - 1 in a tiny section',
     HEADER + section(1, b'\xff\xff\xff\xff\x0f'),
     'invalid_module',
     'malformed module: type count past end of section at offset 15'),
    ('import_count_huge', 'an import count of 2^32 - 1 in a tiny section',
     HEADER + section(1, vec([FT_VOID])) + section(
         2, b'\xff\xff\xff\xff\x0f'), 'invalid_module',
     'malformed module: import count past end of section at offset 21'),
    ('body_count_mismatch', 'two function bodies for one function',
     HEADER + section(1, vec([FT_VOID])) + section(3, vec([b'\x00'])) +
     section(10, vec([b'\x02\x00\x0b'] * 2)), 'invalid_module',
     'malformed module: 2 function bodies for 1 functions'),
    ('simd', 'i32x4.add: SIMD, which wasm2c cannot translate',
     A.adv_bytes('simd_add'), 'invalid_module',
     '0000034: error: unexpected opcode: 0xfd 0x0'),
    ('code_type_mismatch',
     'structurally fine, but a body leaves an i32 on a [] -> [] function',
     HEADER + section(1, vec([FT_VOID])) + section(3, vec([b'\x00'])) +
     section(5, vec([b'\x00\x01'])) + section(7, vec([MEM_EXPORT,
                                                      RUN_EXPORT])) +
     section(10, vec([b'\x04\x00\x41\x01\x0b'])), 'invalid_module',
     re.compile(r'.*0000030: error: type mismatch at end of function, '
                r'expected \[\] but got \[i32\]')),
    ('atomics', 'i32.atomic.load (threads, not enabled)',
     one_func(b'\x00\x41\x00\xfe\x10\x02\x00\x1a\x0b'), 'invalid_module',
     '0000032: error: unexpected opcode: 0xfe 0x10'),
    ('tail_call', 'return_call (tail calls, not enabled)',
     one_func(b'\x00\x12\x00\x0b'), 'invalid_module',
     '000002f: error: unexpected opcode: 0x12'),
    ('exceptions', 'try (exception handling, not enabled)',
     one_func(b'\x00\x06\x40\x0b\x0b'), 'invalid_module',
     '000002f: error: unexpected opcode: 0x6'),
    ('custom_section_binary_name',
     'a custom section whose name is not UTF-8',
     one_func(b'\x00\x0b', section(0, name(b'\xff\xff') + b'xyz')),
     'invalid_module',
     'malformed module: bad custom section name at offset 52'),
    ('no_memory_export', 'a module that exports no memory',
     module(exports=[RUN_EXPORT]), 'invalid_module',
     'module does not export a memory named "memory"'),
]


def refused(k, u, cname, data, slug, detail, tenant=None):
    st, h, body = k.push(data, tenant)
    if isinstance(detail, str):
        K.problem((st, h, body), 422, slug, detail)
    else:
        doc = K.problem((st, h, body), 422, slug)
        assert detail.fullmatch(doc['detail']), 'detail %r' % doc['detail']
    K.problem(k.submit(K.digest_of(data), tenant=tenant), 422,
              'unknown_module')
    u.check(cname, tenant)



def test_admission():
    with K.Kilnd(tenants={'t0': {'max_pages': 32},
                          'big': {'max_pages': 65536}}, gpus=2) as k:
        k.start()
        C = A.Cases(EXPECTED_FAIL)
        case = C.run
        u = A.Unharmed(k, ['t0', 'big'])
        for cname, doc, data, slug, detail in CASES:
            case(cname, lambda: refused(k, u, cname, data, slug, detail,
                                        't0'))

        def big_tenant():
            """65536 initial pages for a tenant whose max_pages is 65536:
            the runtime can never give a memory more than 65535 pages, so
            admission must refuse it (422 memory_quota)."""
            doc = K.problem(k.push(A.adv_bytes('mem_max'), 'big'), 422,
                            'memory_quota')
            eq(doc['detail'].startswith('initial memory of 65536 pages'),
               True, 'detail %r' % doc['detail'])
        case('mem_65536_pages_big_tenant', big_tenant)

        def validator_path():
            """A wasm-validate error detail is the validator's line
            without the host's scratch path (docs/WASM.md)."""
            data = module(exports=[MEM_EXPORT, RUN_EXPORT, RUN_EXPORT])
            K.problem(k.push(data, 't0'), 422, 'invalid_module',
                      '000002f: error: duplicate export "run"')
        case('validator_detail_no_host_path', validator_path)

        def long_export_name():
            """A 100,000-byte export name is legal WebAssembly: it is
            admitted, compiled, and runs (SUCCEEDED, no output)."""
            data = module(exports=[MEM_EXPORT, RUN_EXPORT,
                                   name('A' * 100000) + b'\x00\x00'])
            d = A.register_bytes(k, data, 't0')
            j = A.run_job(k, d, 't0')
            A.expect_job(k, j, 'SUCCEEDED', '', 0, tenant='t0')
            u.check('long_export_name', 't0')
        case('long_export_name', long_export_name)

        def hostile_name_section():
            """A name section whose module and function names are C
            code: debug names are never used, so the module is admitted
            and runs (SUCCEEDED)."""
            d = A.register_bytes(k, one_func(b'\x00\x0b', HOSTILE_NAMES),
                                 't0')
            A.expect_job(k, A.run_job(k, d, 't0'), 'SUCCEEDED', '', 0,
                         tenant='t0')
            u.check('hostile_name_section', 't0')
        case('hostile_name_section', hostile_name_section)

        def odd_export_names():
            """Export names of NUL, control characters and the mangling
            escape letter "Z" (valid UTF-8) cannot collide with or reach
            host symbols: admitted, and the job runs."""
            data = module(exports=[MEM_EXPORT, RUN_EXPORT] + [
                name(n) + b'\x00\x00' for n in (
                    '\0', 'Z', 'Z5F', '_', 'wasm_shim_entry', 'system',
                    '\u202e\U0010ffff')])
            d = A.register_bytes(k, data, 't0')
            A.expect_job(k, A.run_job(k, d, 't0'), 'SUCCEEDED', '', 0,
                         tenant='t0')
            u.check('odd_export_names', 't0')
        case('odd_export_names', odd_export_names)
        k.stop()
    C.done()


if __name__ == '__main__':
    K.main(globals())
