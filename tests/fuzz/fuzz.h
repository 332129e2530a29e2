/*
 * fuzz.h - what every harness in tests/fuzz/ shares.
 *
 * Each harness defines LLVMFuzzerTestOneInput, the libFuzzer entry point.
 * Built with clang and -fsanitize=fuzzer it is a coverage-guided fuzzer;
 * linked with replay.c instead it is a plain program that feeds every
 * file of its seed corpus (and the crash reproducers kept there) to the
 * same function, which is how CTest replays the corpus in the gcc builds.
 *
 * A harness checks the module's contract on every input, not only that
 * nothing crashed: a broken contract calls fuzz_fail, which aborts, so
 * both libFuzzer and the replay test report it.
 */
#ifndef MS_FUZZ_H
#define MS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "harness: what" to stderr and aborts. */
_Noreturn void fuzz_fail(const char *harness, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
